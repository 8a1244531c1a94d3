"""Dagster's production processes as `krakked up` runs them: code server, daemon, webserver.

Not `dagster dev`: run separately, the daemon can be stopped first (no new runs start) while
the webserver still answers, so in-flight runs are canceled cleanly before the code server
that runs them stops. All three run in DAGSTER_HOME, so no Dagster tool finds the repo's
``dagster.yaml`` in its working directory and warns that it is ignored. The daemon and webserver
find the code server through ``DAGSTER_HOME/workspace.yaml``, which names the location
``krakked`` whatever its port (schedule state and run history are kept per location name).
"""

import sys
from pathlib import Path

from krakked_core.files import write_private_file
from krakked_core.launcher import Component
from krakked_core.loopback import HOST, accepts_connections

DEFINITIONS_MODULE = "krakked_pipeline.definitions"
LOCATION_NAME = "krakked"
CODE_SERVER = "dagster-code-server"
DAEMON = "dagster-daemon"
WEBSERVER = "dagster-webserver"
# Dagster's own lines as JSON too, like every Krakked process's (child_logs.py reads both).
JSON_LOGS = ("--log-format", "json")


def code_server(home: Path, port: int) -> Component:
    argv = [sys.executable, "-m", "dagster", "code-server", "start", "-m", DEFINITIONS_MODULE]
    argv += ["-h", HOST, "-p", str(port), "--location-name", LOCATION_NAME, *JSON_LOGS]
    return _component(CODE_SERVER, argv, home)


def write_workspace(home: Path, code_port: int) -> Path:
    """Point the daemon and webserver at the code server; return the workspace file."""
    path = home / "workspace.yaml"
    text = (
        "# Written by Krakked (krakked_core/dagster_processes.py); changes are overwritten.\n"
        "load_from:\n"
        "  - grpc_server:\n"
        f"      host: {HOST}\n"
        f"      port: {code_port}\n"
        f"      location_name: {LOCATION_NAME}\n"
    )
    write_private_file(path, text.encode())
    return path


def daemon(home: Path, workspace: Path) -> Component:
    argv = [sys.executable, "-m", "dagster._daemon", "run", "-w", str(workspace), *JSON_LOGS]
    return _component(DAEMON, argv, home)


def webserver(home: Path, workspace: Path, ui_port: int) -> Component:
    argv = [sys.executable, "-m", "dagster_webserver", "-w", str(workspace)]
    argv += ["-h", HOST, "-p", str(ui_port), *JSON_LOGS]
    return _component(WEBSERVER, argv, home)


def code_server_not_ready_because(port: int) -> str | None:
    """None once the code server listens on ``port``; else why not."""
    return None if accepts_connections(HOST, port) else f"nothing listens on {HOST}:{port} yet"


def _component(name: str, argv: list[str], home: Path) -> Component:
    return Component(name, argv, env={"DAGSTER_HOME": str(home)}, cwd=home)
