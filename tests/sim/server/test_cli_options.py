"""`krakked sim` options refused before anything is served: a clear message, never a traceback."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from krakked_core.cli.sim_cmd import parse_balances, parse_now, sim_app

NOT_BASE64 = "not-base64-secret!!"


def run_sim(*args: str) -> tuple[int, str, BaseException | None]:
    result = CliRunner().invoke(sim_app, ["--port", "0", "--history-days", "1", *args])
    return result.exit_code, result.output, result.exception


def test_sim_when_secret_not_base64_then_config_error_without_secret_or_traceback() -> None:
    code, output, exception = run_sim("--api-key", "k", "--api-secret", NOT_BASE64)

    assert isinstance(exception, SystemExit) and code == 1
    assert "configuration error" in output and "not base64" in output
    assert NOT_BASE64 not in output
    assert "Traceback" not in output


def test_sim_when_replay_file_not_one_minute_then_config_error(tmp_path: Path) -> None:
    path = tmp_path / "XBTUSD_60.csv"
    path.write_text("1772366400,1,1,1,1,1,1\n")

    code, output, exception = run_sim("--replay", str(path))

    assert isinstance(exception, SystemExit) and code == 1
    assert "replay needs a 1-minute OHLCVT file" in output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--balance", "ZUSD"], "--balance takes ASSET=AMOUNT"),
        (["--balance", "NOPE=5"], "EQuery:Unknown asset"),
        (["--balance", "ZUSD=abc"], "starting_balances"),
        (["--spread-bps", "0"], "spread_bps"),
    ],
)
def test_sim_when_balance_or_spread_invalid_then_config_error(
    args: list[str], message: str
) -> None:
    code, output, exception = run_sim(*args)

    assert isinstance(exception, SystemExit) and code == 1
    assert "configuration error" in output and message in output


def test_parse_balances_when_repeated_then_one_entry_per_asset() -> None:
    assert parse_balances(["ZUSD=100000", " XBT = 1.5 "]) == {"ZUSD": "100000", "XBT": "1.5"}


def test_sim_help_when_shown_then_documents_control_routes_and_save_interval() -> None:
    result = CliRunner().invoke(sim_app, ["--help"], terminal_width=120)

    assert result.exit_code == 0
    for route in ("/sim/deposit", "/sim/withdraw", "/sim/reward", "/sim/order", "/sim/keys"):
        assert route in result.output
    assert "--replay" in result.output and "--balance" in result.output
    assert "once a second" in result.output


def test_sim_when_now_not_a_time_then_config_error_naming_the_option() -> None:
    code, output, exception = run_sim("--now", "yesterday")

    assert isinstance(exception, SystemExit) and code == 1
    assert "configuration error" in output and "--now takes an ISO 8601 time" in output


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-05-01T12:00:00Z", datetime(2025, 5, 1, 12, tzinfo=UTC)),
        ("2025-05-01T14:00:00+02:00", datetime(2025, 5, 1, 12, tzinfo=UTC)),
        ("2025-05-01 12:00", datetime(2025, 5, 1, 12, tzinfo=UTC)),  # no offset: UTC
        ("1746100800", datetime(2025, 5, 1, 12, tzinfo=UTC)),
        ("1746100800.5", datetime(2025, 5, 1, 12, 0, 0, 500_000, tzinfo=UTC)),
    ],
)
def test_parse_now_when_iso_or_epoch_then_that_utc_instant(text: str, expected: datetime) -> None:
    assert parse_now(text) == expected
