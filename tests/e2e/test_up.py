"""`krakked up --sim` (`make demo`): all processes start, data flows, one signal stops all."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from krakked_core.paths import AppPaths

pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def descendants(pid: int) -> set[int]:
    """Every live process whose parent chain leads to ``pid`` (children run in own sessions)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            parents[int(stat.parent.name)] = int(fields[1])
        except (OSError, IndexError, ValueError):
            continue
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def start_up_sim(dagster_port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """`krakked up --sim` in a session of its own (its output discarded)."""
    port = str(dagster_port)
    return subprocess.Popen(
        [sys.executable, "-m", "krakked_core.cli", "up", "--sim", "--dagster-port", port],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    return status.exists() and "State:\tZ" not in status.read_text()


def data_status(env: dict[str, str]) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-m", "krakked_core.cli", "data-status", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return json.loads(out.stdout) if out.returncode == 0 else {}


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc to find the children")
def test_up_with_sim_starts_everything_and_sigterm_stops_every_process(
    app_paths: AppPaths,
) -> None:
    env = {**os.environ, "KRAKKED_LOG_LEVEL": "WARNING"}
    port = free_port()
    up = start_up_sim(port, env)
    try:
        deadline = time.monotonic() + 150
        dagster_ok, status = False, {}
        while time.monotonic() < deadline and not (dagster_ok and status.get("fresh_pairs")):
            assert up.poll() is None, f"krakked up exited early with {up.returncode}"
            time.sleep(2)
            try:
                dagster_ok = requests.get(f"http://127.0.0.1:{port}/server_info", timeout=2).ok
            except requests.RequestException:
                dagster_ok = False
            status = data_status(env)
        assert dagster_ok, "the Dagster webserver never answered"
        assert status.get("ws_connected") is True
        assert "XBTUSD" in status["fresh_pairs"]  # type: ignore[operator]
        children = descendants(up.pid)
        assert len(children) >= 3  # sandbox, sidecar, dagster (+ its own children)

        up.send_signal(signal.SIGTERM)

        assert up.wait(timeout=60) == 0
        time.sleep(1)
        assert [pid for pid in children if alive(pid)] == []
    finally:
        if up.poll() is None:
            os.killpg(up.pid, signal.SIGKILL)
