"""`krakked cycle | risk status | risk evaluate | strategies | decisions` on a real app DB."""

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import Engine
from typer.testing import CliRunner, Result

from krakked_core.cli import app
from krakked_core.clock import ManualClock
from krakked_core.paths import AppPaths
from tests.decisions.world import CLOSE, CONFIG, World, rising_bars
from tests.fakes.pairs import usd_pair
from tests.fakes.risk import scenario

ACTION_KEYS = {
    "pair",
    "strategy_id",
    "action_type",
    "target_base_size",
    "target_notional_usd",
    "current_base_size",
    "blocked",
    "clamped",
    "blocked_reasons",
    "reason",
}
STRATEGY_KEYS = {
    "id",
    "type",
    "enabled",
    "userref",
    "timeframes",
    "max_positions",
    "current_positions",
    "pnl_summary",
    "last_intents_at",
    "last_actions_at",
}


@pytest.fixture
def world(engine: Engine, db_url: str, tmp_path: Path, app_paths: AppPaths) -> World:
    config = {
        **CONFIG,
        "db": {"url": db_url},
        "market_data": {"ohlc_store": {"root_dir": str(tmp_path / "ohlc")}},
        "exchange": {"rest_url": "http://127.0.0.1:9"},  # nothing listens: no REST call may land
    }
    app_paths.config_file.write_text(yaml.safe_dump(config))
    return World(engine, tmp_path).with_market(
        [usd_pair("XBT")], {"XBTUSD": rising_bars(30, last_close=129)}
    )


def _run(*args: str) -> Any:
    result = _invoke(*args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _invoke(*args: str) -> Result:
    # The commands run on a clock an hour after the world's candle, whatever the calendar says.
    return CliRunner().invoke(app, list(args), obj=ManualClock(CLOSE + timedelta(hours=1)))


def test_cycle_when_at_given_then_prints_and_stores_the_plan(world: World) -> None:
    plan = _run("cycle", "--timeframe", "1h", "--at", "2026-03-02T12:30:00Z", "--json")
    assert plan["generated_at"] == "2026-03-02T12:00:00Z"  # the newest close at 12:30
    assert plan["timeframe"] == "1h"
    # The CLI reads live data on the system clock, always later than the world's tickers of
    # 2026-03-02 12:00: every pair is stale, so no strategy sees a pair and nothing opens.
    assert (plan["intents_count"], plan["actions"]) == (0, [])
    assert plan["metadata"]["stale_pairs"] == ["XBTUSD"]
    assert any("sync failed" in note for note in plan["metadata"]["notes"])  # no credentials
    [record] = _run("decisions", "--json")
    assert record["plan_id"] == plan["plan_id"]
    assert "NoCredentialsError" in record["notes"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--timeframe", "2h"], "--timeframe"),
        (["--timeframe", "1h", "--at", "yesterday"], "ISO 8601"),
        (["--timeframe", "1h", "--at", "2026-03-02T12:30:00"], "timezone"),
        (["--timeframe", "1h", "--at", "2999-01-01T00:00:00Z"], "in the future"),
    ],
)
def test_cycle_when_arguments_bad_then_exit_1_and_nothing_stored(
    world: World, args: list[str], message: str
) -> None:
    result = _invoke("cycle", *args)
    assert result.exit_code == 1
    assert message in result.output
    assert world.decisions.recent() == []


def test_risk_status_when_kill_switch_on_then_json_says_so(world: World) -> None:
    assert _invoke("kill-switch", "on", "--reason", "x").exit_code == 0
    status = _run("risk", "status", "--json")
    assert status["kill_switch_active"] is True
    assert status["kill_switch_reasons"] == ["kill_switch_manual"]
    assert set(status) >= {
        "daily_drawdown_pct",
        "drift_flag",
        "total_exposure_pct",
        "per_asset_exposure_pct",
        "per_strategy_exposure_pct",
    }


def test_risk_evaluate_when_scenario_file_then_actions_and_status(
    world: World, tmp_path: Path
) -> None:
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(scenario()))
    result = _run("risk", "evaluate", str(path), "--json")
    assert set(result) == {"actions", "risk_status"}
    assert set(result["actions"][0]) >= ACTION_KEYS


@pytest.mark.parametrize(("content", "message"), [("[1]", "JSON object"), ("{", "not valid JSON")])
def test_risk_evaluate_when_file_bad_then_exit_1_naming_it(
    world: World, tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "scenario.json"
    path.write_text(content)
    result = _invoke("risk", "evaluate", str(path), "--json")
    assert result.exit_code == 1
    assert message in result.output and "scenario.json" in result.output


def test_strategies_when_json_then_phase6_shape_after_a_cycle(world: World) -> None:
    _run("cycle", "--timeframe", "1h", "--at", CLOSE.isoformat(), "--json")
    rows = {row["id"]: row for row in _run("strategies", "--json")}
    assert set(rows) == {"trend_v1", "mean_rev_v1"}
    trend = rows["trend_v1"]
    assert set(trend) == STRATEGY_KEYS
    assert trend["enabled"] is True and trend["userref"] == 7
    assert trend["pnl_summary"] == {"realized_usd": "0", "unrealized_usd": "0"}
    assert trend["last_intents_at"] is None  # the cycle saw only stale pairs (see above)
    assert rows["mean_rev_v1"]["enabled"] is False
