"""Dagster's production processes as `krakked up` runs them: code server, daemon, webserver.

Not `dagster dev`: run separately, the daemon can be stopped first (no new runs start) while
the webserver still answers, so in-flight runs are canceled cleanly before the code server
that runs them stops. All three run in DAGSTER_HOME, so no Dagster tool finds the repo's
``dagster.yaml`` in its working directory and warns that it is ignored.
"""

import socket
import sys
from pathlib import Path

from krakked_core.launcher import Component

DEFINITIONS_MODULE = "krakked_pipeline.definitions"
LOCATION_NAME = "krakked"
CODE_SERVER = "dagster-code-server"
DAEMON = "dagster-daemon"
WEBSERVER = "dagster-webserver"
HOST = "127.0.0.1"


def free_port() -> int:
    """A loopback port nothing listens on now (the code server binds it a moment later)."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def code_server(home: Path, port: int) -> Component:
    argv = [sys.executable, "-m", "dagster", "code-server", "start", "-m", DEFINITIONS_MODULE]
    argv += ["-h", HOST, "-p", str(port), "--location-name", LOCATION_NAME]
    return _component(CODE_SERVER, argv, home)


def daemon(home: Path, code_port: int) -> Component:
    argv = [sys.executable, "-m", "dagster._daemon", "run", *_grpc(code_port)]
    return _component(DAEMON, argv, home)


def webserver(home: Path, code_port: int, ui_port: int) -> Component:
    argv = [sys.executable, "-m", "dagster_webserver", *_grpc(code_port)]
    argv += ["-h", HOST, "-p", str(ui_port)]
    return _component(WEBSERVER, argv, home)


def accepts_connections(port: int) -> str | None:
    """None when something listens on the loopback ``port``; else why not."""
    try:
        with socket.create_connection((HOST, port), timeout=1):
            return None
    except OSError:
        return f"nothing listens on {HOST}:{port} yet"


def _grpc(code_port: int) -> list[str]:
    return ["--grpc-host", HOST, "--grpc-port", str(code_port)]


def _component(name: str, argv: list[str], home: Path) -> Component:
    return Component(name, argv, env={"DAGSTER_HOME": str(home)}, cwd=home)
