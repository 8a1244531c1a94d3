"""The package layers, read from the import statements (``ast``, nothing imported).

Only ``connection/`` (and the sandbox exchange in ``sim/``) knows Kraken's wire format: nothing
else imports a parser or the REST client; the rest of the system sees Kraken through the ports
in ``ports.py``, implemented by adapters in ``connection/``. And no package imports one that
imports it back, deferred imports inside functions included.
"""

import ast
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ("krakked_core", "krakked_pipeline", "streamlit_app")
KNOWS_KRAKEN = ("krakked_core.connection", "krakked_core.sim")
WIRE_MODULES = ("krakked_core.connection.parsers", "krakked_core.connection.client")
# What ``krakked_core.connection`` re-exports of the wire modules.
WIRE_NAMES = frozenset({"KrakenRestClient", "decode_reply"})


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _sources() -> Iterator[tuple[str, Path]]:
    for package in PRODUCT:
        for path in sorted((ROOT / package).rglob("*.py")):
            yield _module_name(path), path


def _imported(module: str, path: Path) -> Iterator[tuple[str, int]]:
    """Every module (or ``module.name``) that ``path`` imports, with the line."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the importing module's package
                package = (
                    module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
                )
                package = package[: len(package) - (node.level - 1)]
                base = ".".join([*package, *([base] if base else [])])
            yield base, node.lineno
            for alias in node.names:
                yield f"{base}.{alias.name}", node.lineno


def _is_wire(name: str) -> bool:
    if any(name == wire or name.startswith(f"{wire}.") for wire in WIRE_MODULES):
        return True
    package, _, attribute = name.rpartition(".")
    return package == "krakked_core.connection" and attribute in WIRE_NAMES


def _inside(module: str, packages: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(f"{p}.") for p in packages)


def test_only_connection_and_sim_import_kraken_parsers_or_the_rest_client() -> None:
    leaks: dict[str, str] = {}  # file:line → what it imports, once per statement
    for module, path in _sources():
        if _inside(module, KNOWS_KRAKEN):
            continue
        for name, line in _imported(module, path):
            if _is_wire(name):
                leaks.setdefault(f"{path.relative_to(ROOT)}:{line}", name)

    assert leaks == {}


def _package(module: str) -> str | None:
    """The layer a module belongs to: ``krakked_core.<sub>`` (sub-package or top module), or
    the top-level package for the others."""
    parts = module.split(".")
    if parts[0] not in PRODUCT:
        return None
    return ".".join(parts[:2]) if parts[0] == "krakked_core" and len(parts) > 1 else parts[0]


def _package_graph() -> dict[str, dict[str, str]]:
    """package → imported package → the first import that makes the edge (for the message)."""
    sources = list(_sources())
    packages = {_package(module) for module, _ in sources}
    graph: dict[str, dict[str, str]] = {}
    for module, path in sources:
        source = _package(module)
        assert source is not None
        edges = graph.setdefault(source, {})
        for name, line in _imported(module, path):
            # ``from krakked_core import config`` names a package through its attribute.
            target = _package(name)
            if target in packages and target != source:
                edges.setdefault(target, f"{path.relative_to(ROOT)}:{line}")
    return graph


def _cycle(graph: dict[str, dict[str, str]]) -> list[str]:
    """One import cycle of packages (first package repeated at the end), or []."""
    done: set[str] = set()

    def visit(node: str, trail: list[str]) -> list[str]:
        if node in trail:
            return [*trail[trail.index(node) :], node]
        if node in done:
            return []
        for target in sorted(graph.get(node, {})):
            found = visit(target, [*trail, node])
            if found:
                return found
        done.add(node)
        return []

    for start in sorted(graph):
        found = visit(start, [])
        if found:
            return found
    return []


def test_no_package_import_cycle() -> None:
    graph = _package_graph()
    cycle = _cycle(graph)
    path = [f"{a} -> {b} ({graph[a][b]})" for a, b in pairwise(cycle)]

    assert path == []


# Each framework has one home: krakked_core stays usable without any of them (DESIGN.md).
FRAMEWORK_HOMES = {
    "dagster": ("krakked_pipeline",),
    "dagster_webserver": ("krakked_pipeline",),
    "fastapi": ("krakked_core.api",),
    # The sandbox exchange is an ASGI server of its own (a separate process, like Kraken).
    "starlette": ("krakked_core.api", "krakked_core.sim"),
    "streamlit": ("streamlit_app",),
}


def _framework(name: str) -> str | None:
    top = name.split(".", maxsplit=1)[0]
    return top if top in FRAMEWORK_HOMES else None


def test_each_framework_is_imported_only_in_its_home() -> None:
    strays = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for module, path in _sources()
        for name, line in _imported(module, path)
        if (framework := _framework(name)) and not _inside(module, FRAMEWORK_HOMES[framework])
    ]
    assert strays == []


def test_the_framework_check_sees_a_stray_import(tmp_path: Path) -> None:
    stray = tmp_path / "stray.py"
    stray.write_text("import fastapi\nfrom dagster import asset\n", encoding="utf-8")
    names = [name for name, _ in _imported("krakked_core.stray", stray)]
    assert {_framework(n) for n in names} >= {"fastapi", "dagster"}
    assert not _inside("krakked_core.stray", FRAMEWORK_HOMES["fastapi"])
