"""`krakked up --sim` (`make demo`): all processes start, data flows, one signal stops all."""

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import requests

from krakked_core.loopback import free_port
from krakked_core.paths import AppPaths
from tests.e2e.up_system import start_up, wait_for

pytestmark = pytest.mark.e2e


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


def kill_everything(up: subprocess.Popen[bytes]) -> None:
    """After a failed assertion: SIGKILL `krakked up` and every process group under it."""
    if up.poll() is not None:
        return
    for pid in descendants(up.pid) | {up.pid}:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(os.getpgid(pid), signal.SIGKILL)
    up.wait(timeout=30)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    return status.exists() and "State:\tZ" not in status.read_text()


def graphql(port: int, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    response = requests.post(
        f"http://127.0.0.1:{port}/graphql",
        json={"query": query, "variables": variables or {}},
        timeout=10,
    )
    response.raise_for_status()
    data: dict[str, Any] = response.json()["data"]
    return data


_LAUNCH = """
mutation($p: ExecutionParams!) {
  launchRun(executionParams: $p) { __typename ... on LaunchRunSuccess { run { runId } } }
}"""
_STATUS = "query($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }"
_LOCATION = (
    "{ repositoriesOrError { ... on RepositoryConnection { nodes { location { name } } } } }"
)


def launch_tail_run(port: int) -> str:
    """Start the 1m OHLC tail run for the current day's partition, as its schedule would."""
    day = datetime.now(UTC).strftime("%Y-%m-%d")  # names the partition; asserts nothing on it
    location = graphql(port, _LOCATION)["repositoriesOrError"]["nodes"][0]["location"]["name"]
    params = {
        "selector": {
            "repositoryLocationName": location,
            "repositoryName": "__repository__",
            "jobName": "ohlc_1m_tail_job",
        },
        "runConfigData": {},
        "executionMetadata": {"tags": [{"key": "dagster/partition", "value": day}]},
    }
    launched = graphql(port, _LAUNCH, {"p": params})["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    run_id: str = launched["run"]["runId"]
    return run_id


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
def test_up_with_sim_is_ready_when_all_answer_and_sigint_cancels_runs_and_stops_all(
    app_paths: AppPaths, tmp_path: Path
) -> None:
    port = free_port()
    terminal = tmp_path / "terminal.txt"
    up = start_up(port, terminal)
    try:
        wait_for(lambda: "Krakked is up" in terminal.read_text(), 240, "ready", up)

        # Ready means every process answers, at the moment it says so.
        assert requests.get(f"http://127.0.0.1:{port}/server_info", timeout=5).ok
        status = data_status(dict(os.environ))
        assert status.get("ws_connected") is True
        assert app_paths.active_venue_file.exists()
        children = descendants(up.pid)
        assert len(children) >= 5  # sandbox, sidecar, code server, daemon, webserver

        run_id = launch_tail_run(port)
        wait_for(
            lambda: graphql(port, _STATUS, {"id": run_id})["runOrError"]["status"] == "STARTED",
            120,
            "the tail run started",
            up,
        )
        up.send_signal(signal.SIGINT)

        assert up.wait(timeout=120) == 0
        time.sleep(1)
        assert [pid for pid in children if alive(pid)] == []
    finally:
        kill_everything(up)
    with dg.DagsterInstance.from_config(str(app_paths.dagster_home)) as instance:
        run = instance.get_run_by_id(run_id)
        assert run is not None
        assert run.status in (dg.DagsterRunStatus.CANCELED, dg.DagsterRunStatus.SUCCESS)
    assert not app_paths.active_venue_file.exists()
    shown = terminal.read_text()
    assert f"Logs of every process: {app_paths.log_dir}" in shown
    for noise in ("Traceback", "BetaWarning", "PreviewWarning", "will not be used"):
        assert noise not in shown
    assert {"sandbox.log", "sidecar.log", "dagster-daemon.log"} <= {
        path.name for path in app_paths.log_dir.iterdir()
    }


def exit_and_children(up: subprocess.Popen[bytes], seconds: float) -> tuple[int, set[int]]:
    """Wait for `krakked up` to exit; return its code and every child seen meanwhile."""
    deadline = time.monotonic() + seconds
    seen: set[int] = set()
    while up.poll() is None:
        assert time.monotonic() < deadline, f"krakked up still running after {seconds} s"
        seen |= descendants(up.pid)
        time.sleep(0.2)
    time.sleep(1)
    return up.returncode, seen


def assert_failed_start(terminal: Path, app_paths: AppPaths, code: int, *expected: str) -> None:
    shown = terminal.read_text()
    assert code == 1, shown
    for text in expected:
        assert text in shown
    assert "Krakked is up" not in shown
    assert not app_paths.active_venue_file.exists()


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc to find the children")
def test_up_when_a_process_cannot_start_names_it_and_leaves_nothing_running(
    app_paths: AppPaths, tmp_path: Path
) -> None:
    terminal = tmp_path / "terminal.txt"
    with socket.socket() as taken:  # the Dagster UI's port is already in use
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        up = start_up(taken.getsockname()[1], terminal)
        try:
            code, children = exit_and_children(up, 240)
        finally:
            kill_everything(up)

    assert len(children) >= 4  # it got as far as starting the webserver
    assert [pid for pid in children if alive(pid)] == []
    log = app_paths.log_dir / "dagster-webserver.log"
    assert_failed_start(terminal, app_paths, code, "dagster-webserver exited", str(log))


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc to find the children")
def test_up_interrupted_during_start_up_stops_what_it_started(
    app_paths: AppPaths, tmp_path: Path
) -> None:
    terminal = tmp_path / "terminal.txt"
    up = start_up(free_port(), terminal)
    try:
        wait_for(lambda: "Sandbox exchange:" in terminal.read_text(), 120, "sandbox started", up)
        started = descendants(up.pid)
        up.send_signal(signal.SIGINT)
        code, children = exit_and_children(up, 120)
    finally:
        kill_everything(up)

    assert started  # the sandbox at least
    children |= started
    assert [pid for pid in children if alive(pid)] == []
    assert_failed_start(terminal, app_paths, code, "SIGINT during start-up")
