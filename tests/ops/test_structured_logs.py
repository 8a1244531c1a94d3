"""Log lines carry env and the ids of the enclosing log_context; log files rotate by size."""

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

from krakked_core.child_logs import OutputRouter
from krakked_core.log import configure_logging, log_env
from krakked_core.log_context import log_context
from krakked_core.rotating_file import RotatingFile


@pytest.fixture
def json_logs() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    configure_logging("INFO", json_lines=True, env="paper")
    yield
    root.handlers, root.level = handlers, level


def test_ids_of_nested_contexts_reach_stdlib_and_structlog_lines_then_go(
    json_logs: None, capsys: pytest.CaptureFixture[str]
) -> None:
    log = logging.getLogger("krakked.test")
    with log_context(plan_id="plan-1", strategy_id="trend_v1", userref=7):
        log.info("strategy_cycle")
        with log_context(local_order_id="lo-1", kraken_order_id="OABC-1"):
            structlog.get_logger("krakked.test").warning("order_error", pair="XBTUSD")
        log.info("after the order")
    log.info("outside")

    lines = capsys.readouterr().err.splitlines()
    cycle, order, after, outside = [json.loads(line) for line in lines]
    assert (cycle["env"], cycle["plan_id"], cycle["strategy_id"], cycle["userref"]) == (
        "paper",
        "plan-1",
        "trend_v1",
        7,
    )
    assert "local_order_id" not in cycle
    assert order["event"] == "order_error" and order["pair"] == "XBTUSD"
    assert (order["plan_id"], order["local_order_id"], order["kraken_order_id"]) == (
        "plan-1",
        "lo-1",
        "OABC-1",
    )
    assert "local_order_id" not in after and after["plan_id"] == "plan-1"
    assert outside["env"] == "paper" and "plan_id" not in outside


def test_env_from_krakked_env_else_from_the_execution_mode() -> None:
    assert log_env("live", {}) == "live"
    assert log_env("paper", {}) == "paper"
    assert log_env("dry_run", {}) == "dev"
    assert log_env("paper", {"KRAKKED_ENV": "staging"}) == "staging"


def test_rotating_file_keeps_the_newest_files_within_size(tmp_path: Path) -> None:
    out = RotatingFile(tmp_path / "x.log", max_bytes=100, keep=3)
    lines = [f"line {n:03d} " + "x" * 30 + "\n" for n in range(40)]  # 40 bytes each
    for line in lines:
        out.write(line)
    out.close()

    files = sorted(tmp_path.iterdir())
    assert [f.name for f in files] == ["x.log", "x.log.1", "x.log.2", "x.log.3"]
    assert all(f.stat().st_size <= 100 for f in files)
    kept = "".join((tmp_path / name).read_text() for name in ("x.log.3", "x.log.2", "x.log.1"))
    assert (kept + (tmp_path / "x.log").read_text()) == "".join(lines[-8:])


def test_router_rotates_a_childs_log_by_size(tmp_path: Path) -> None:
    router = OutputRouter(tmp_path, io.StringIO(), max_bytes=200, keep=2)
    stream = io.StringIO("".join(f'{{"event": "tick {n}", "level": "info"}}\n' for n in range(30)))
    path = router.attach("sidecar", stream)
    router.join()
    assert path.exists() and path.with_name("sidecar.log.2").exists()
    assert not path.with_name("sidecar.log.3").exists()
    assert "tick 29" in path.read_text()
