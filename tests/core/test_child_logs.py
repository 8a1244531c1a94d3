"""`krakked up`'s output: the whole log of each child in its file, only what matters on screen."""

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from krakked_core.child_logs import OutputRouter, terminal_line
from krakked_core.log import REDACTED, SECRET_SCRUBBER, SHOW_ON_TERMINAL


def json_line(level: str, event: str) -> str:
    return json.dumps({"event": event, "level": level, "logger": "x", "timestamp": "t"})


@pytest.mark.parametrize(
    "line",
    [
        json_line("info", "data flows again on ohlc 1m XBTUSD: REST fallback off"),
        json_line("debug", "frame"),
        "2026-12-03 18:00:00 +0000 - dagster.daemon.SensorDaemon - INFO - Checking for new runs",
        "/x/dagster/_core/decorators.py:12: BetaWarning: Parameter `pool` is currently in beta",
        "  return fn(*args)",
        "2026-12-03 18:00:00 +0000 - dagster - WARNING - PreviewWarning: AutomationCondition",
        "",
        "\x1b[32m2026-12-03 18:36:19 +0000\x1b[0m - dagster - \x1b[34mWARNING\x1b[0m - "
        "/x/decorator_utils.py:232: BetaWarning: Parameter `backfill_policy` is in beta",
    ],
)
def test_heartbeats_info_and_dagster_warnings_stay_off_the_terminal(line: str) -> None:
    assert terminal_line("sidecar", line) is None


def test_warnings_errors_marked_state_changes_and_dagster_errors_reach_the_terminal() -> None:
    warning = json_line("warning", "no data on 2 channel(s): REST fallback on")
    connected = json.dumps({"event": "WebSocket connected", "level": "info", **SHOW_ON_TERMINAL})
    failure = "2026-12-03 18:00:00 +0000 - dagster - ERROR - ohlc_1m_tail_job - RUN_FAILURE - x"
    coloured = "\x1b[32m2026-12-03 18:00:00 +0000\x1b[0m - dagster - \x1b[31mERROR\x1b[0m - lost"

    assert terminal_line("sidecar", warning) == (
        "sidecar: warning: no data on 2 channel(s): REST fallback on"
    )
    assert terminal_line("dagster-daemon", failure) == (
        "dagster-daemon: error: ohlc_1m_tail_job - RUN_FAILURE - x"
    )
    assert terminal_line("dagster-code-server", coloured) == "dagster-code-server: error: lost"
    assert terminal_line("sidecar", connected) == "sidecar: info: WebSocket connected"


def test_router_writes_every_line_scrubbed_to_the_file_and_few_to_the_terminal(
    tmp_path: Path,
) -> None:
    secret = "router-test-secret-value-123"
    SECRET_SCRUBBER.register(secret)
    lines = [
        json_line("info", "heartbeat"),
        json_line("warning", f"REST failed with {secret}"),
        "2026-12-03 18:00:00 +0000 - dagster - INFO - tick",
    ]
    log_dir = tmp_path / "logs"
    log_dir.mkdir()
    (log_dir / "sidecar.log").write_text("the previous run\n")
    terminal = io.StringIO()
    router = OutputRouter(log_dir, terminal)
    child = subprocess.Popen(  # a real child writing to a real pipe
        [sys.executable, "-c", f"print({chr(10).join(lines)!r})"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None

    path = router.attach("sidecar", child.stdout)
    child.wait(timeout=30)
    router.join()

    written = path.read_text()
    assert written.splitlines() == [line.replace(secret, REDACTED) for line in lines]
    assert secret not in written + terminal.getvalue()
    assert terminal.getvalue() == f"sidecar: warning: REST failed with {REDACTED}\n"
    assert (log_dir / "sidecar.log.1").read_text() == "the previous run\n"
    assert path.stat().st_mode & 0o777 == 0o600
