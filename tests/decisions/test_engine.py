"""StrategyRiskEngine on a real app DB, OHLC store and live tables (contract Phase 4 §9.4–9.5)."""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine

from krakked_core.config_loading import parse_config
from krakked_core.errors import ConfigError
from krakked_core.model.decisions import OPENING_ACTIONS
from krakked_core.strategy.sources import CycleCandles
from tests.decisions.world import (
    CLOSE,
    CONFIG,
    HOUR,
    Counting,
    UnreachableAccount,
    World,
    rising_bars,
)
from tests.fakes.pairs import usd_pair

XBT = usd_pair("XBT")


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> World:
    return World(engine, tmp_path).with_market([XBT], {"XBTUSD": rising_bars(30, last_close=129)})


def test_run_cycle_when_fresh_then_syncs_and_reads_data_status_exactly_once(world: World) -> None:
    portfolio = Counting(world.portfolio, "sync")
    market = Counting(world.market, "get_data_status")
    world.engine(portfolio=portfolio, market=market).run_cycle(CLOSE, "1h")
    assert portfolio.calls == {"sync": 1}
    assert market.calls == {"get_data_status": 1}


def test_run_cycle_when_trend_up_then_opens_sized_by_atr_and_clamped_by_asset_cap(
    world: World,
) -> None:
    plan = world.engine().run_cycle(CLOSE, "1h")

    [intent] = plan.intents
    assert (intent.strategy_id, intent.pair, intent.intent_type) == ("trend_v1", "XBTUSD", "enter")
    [action] = plan.actions
    assert (action.pair, action.action_type, action.blocked) == ("XBTUSD", "open", False)
    # ATR = 3 (every true range), per-unit risk 2 × 3 = 6: 1 % of 100 000 / 6 = 166.67 XBT,
    # $21 500 — over the 5 % per-asset cap, so clamped to $5 000 at $129.
    assert action.clamped
    assert action.target_notional_usd <= Decimal(5000)
    assert action.target_notional_usd > Decimal("4999")
    assert abs(action.target_base_size * Decimal(129) - action.target_notional_usd) < Decimal(
        "0.01"
    )
    assert world.decisions.load_plan(plan.plan_id) == plan


@pytest.mark.parametrize(
    ("arrange", "code"),
    [
        (
            lambda w: w.publish(fresh=["XBTUSD"], last={"XBTUSD": 129}, connected=False),
            "data_stale",
        ),
        (lambda w: w.account.deposit("ZZZ", "5", CLOSE), "valuation_incomplete"),
        (
            lambda w: w.control.set_kill_switch(True, reason="test", source="cli"),
            "kill_switch_manual",
        ),
    ],
    ids=["feed-down", "unpriced-asset", "manual-kill-switch"],
)
def test_run_cycle_when_world_unsafe_then_plan_opens_nothing_and_says_why(
    world: World, arrange, code: str
) -> None:
    arrange(world)
    plan = world.engine().run_cycle(CLOSE, "1h")
    assert plan.opening_actions == ()
    [action] = plan.actions
    assert action.blocked and code in action.blocked_reasons
    [record] = world.decisions.recent()
    assert record.plan_id == plan.plan_id and record.blocked_count == 1


def test_run_cycle_when_sidecar_silent_then_no_actions_and_stale_pairs_named(world: World) -> None:
    world.clock.advance(120)  # tickers and the feed status age past the 60 s tolerance
    plan = world.engine().run_cycle(CLOSE, "1h")
    assert plan.actions == ()
    assert plan.metadata["stale_pairs"] == ["XBTUSD"]
    assert "live market data feed is not connected" in plan.metadata["notes"]
    assert world.decisions.recent()[0].plan_id == plan.plan_id


def test_run_cycle_when_sync_fails_then_plan_opens_nothing_and_notes_it(world: World) -> None:
    world.engine().run_cycle(CLOSE, "1h")  # one good sync: the books exist, then the link drops
    engine = world.engine(portfolio=world.portfolio_on(UnreachableAccount()))
    plan = engine.run_cycle(CLOSE, "1h")
    assert plan.opening_actions == ()
    [action] = plan.actions
    assert action.blocked_reasons == ("valuation_incomplete",)
    assert any("portfolio sync failed" in note for note in plan.metadata["notes"])
    assert "NetworkError" in world.decisions.recent(limit=1)[0].notes


def test_kill_switch_when_toggled_between_cycles_then_logged_on_transitions_only(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    engine = world.engine()
    with caplog.at_level("WARNING", logger="krakked_core.strategy.engine"):
        engine.run_cycle(CLOSE, "1h")
        world.control.set_kill_switch(True, reason="incident", source="cli")
        engine.run_cycle(CLOSE.replace(hour=13), "1h")
        engine.run_cycle(CLOSE.replace(hour=13), "1h")
        world.control.set_kill_switch(False, reason="ok", source="cli")
        engine.run_cycle(CLOSE.replace(hour=13), "1h")
    engine_log = "krakked_core.strategy.engine"
    logged = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == engine_log]
    assert [level for level, _ in logged] == ["CRITICAL", "WARNING"]
    assert "kill_switch_manual (incident)" in logged[0][1]
    assert "kill_switch_manual" in logged[1][1]


def test_get_risk_status_when_manual_switch_on_then_active_with_reason(world: World) -> None:
    engine = world.engine()
    assert not engine.get_risk_status().kill_switch_active
    world.control.set_kill_switch(True, reason="x", source="api")
    status = engine.get_risk_status()
    assert status.kill_switch_active
    assert status.kill_switch_reasons == ("kill_switch_manual",)
    assert status.total_exposure_pct == 0


def test_get_strategy_state_when_a_cycle_ran_then_lists_every_configured_strategy(
    world: World,
) -> None:
    engine = world.engine()
    engine.run_cycle(CLOSE, "1h")
    states = {s.strategy_id: s for s in engine.get_strategy_state()}
    assert set(states) == {"trend_v1", "mean_rev_v1"}
    trend, mean_rev = states["trend_v1"], states["mean_rev_v1"]
    assert (trend.enabled, trend.userref, trend.timeframes) == (True, 7, ("1h",))
    assert trend.last_intents_at == CLOSE and trend.last_actions_at == CLOSE
    assert (mean_rev.enabled, mean_rev.last_intents_at) == (False, None)
    assert trend.realized_pnl_usd == 0 and trend.current_positions == ()


def test_plan_when_actions_open_then_only_opening_types_are_counted(world: World) -> None:
    plan = world.engine().run_cycle(CLOSE, "1h")
    assert {a.action_type for a in plan.opening_actions} <= OPENING_ACTIONS


def _hold_xbt(world: World, size: str = "700") -> None:
    """Buy XBT by hand (no strategy tag: a manual position) at 129, the current price."""
    world.account.trade("buy", size, "129", CLOSE - timedelta(hours=3))


def test_run_cycle_when_books_drift_then_kill_switch_blocks_the_entry(world: World) -> None:
    world.account.extra_balance = {"XBT": Decimal(3)}  # the exchange holds XBT the books lack
    plan = world.engine().run_cycle(CLOSE, "1h")
    assert plan.opening_actions == ()
    [action] = plan.actions
    assert "kill_switch_drift" in action.blocked_reasons
    assert plan.metadata["kill_switch_reasons"] == ["kill_switch_drift"]


def test_run_cycle_when_equity_falls_from_the_24h_peak_then_drawdown_kill_switch(
    world: World,
) -> None:
    _hold_xbt(world)
    engine = world.engine()
    engine.sync()
    world.portfolio.create_snapshot()  # equity 100 000 (9 700 USD + 700 XBT at 129)
    world.prices.prices["XBTUSD"] = Decimal(100)  # 700 × 29 lost: equity 79 700, −20.3 %
    world.clock.advance(60)
    status = engine.get_risk_status()
    assert status.kill_switch_reasons == ("kill_switch_drawdown",)
    assert status.daily_drawdown_pct == Decimal("20.3")


def test_get_risk_status_when_manual_position_held_then_exposures_count_it(world: World) -> None:
    _hold_xbt(world, size="100")
    engine = world.engine()
    engine.sync()
    status = engine.get_risk_status()
    # 100 XBT at 129 = 12 900 of 100 000 equity, held by hand.
    assert status.per_asset_exposure_pct == {"XBT": Decimal("12.9")}
    assert status.per_strategy_exposure_pct == {"manual": Decimal("12.9")}
    assert status.total_exposure_pct == Decimal("12.9")


def test_cycle_candles_when_asked_as_of_a_past_close_then_never_see_later_bars(
    world: World,
) -> None:
    earlier = CLOSE - timedelta(hours=5)
    candles = CycleCandles(world.market, earlier)
    bars = candles.get_ohlc("XBTUSD", "1h", 4)
    assert [b.time for b in bars] == [int(earlier.timestamp()) - HOUR * k for k in (4, 3, 2, 1)]
    assert candles.get_ohlc("XBTUSD", "1h", 2) == bars[-2:]


def test_reload_config_when_timeframe_not_kept_then_config_error_and_old_config_stays(
    world: World,
) -> None:
    engine = world.engine()
    data = {**CONFIG, "market_data": {"timeframes": ["1m"]}}
    with pytest.raises(ConfigError, match=r"strategies\.configs\.trend_v1\.timeframes: 1h"):
        engine.reload_config(parse_config(data, origin="test"))
    assert engine.runner.timeframes() == {"1h"}
    assert engine.run_cycle(CLOSE, "1h").opening_actions  # still deciding on the old config


def test_reload_config_when_strategy_disabled_then_next_cycle_has_no_intents(
    world: World,
) -> None:
    engine = world.engine()
    data = {**CONFIG, "strategies": {**CONFIG["strategies"], "enabled": []}}
    engine.reload_config(parse_config(data, origin="test"))
    assert engine.run_cycle(CLOSE, "1h").intents == ()
