"""StrategyRiskEngine on a real app DB, OHLC store and live tables (contract Phase 4 §9.4–9.5)."""

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine

from krakked_core.model.decisions import OPENING_ACTIONS
from tests.decisions.world import CLOSE, Counting, UnreachableAccount, World, pair, rising_bars

XBT = pair("XBTUSD", "XBT")


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
    assert "kill_switch_manual" in logged[0][1] and "kill_switch_manual" in logged[1][1]


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
