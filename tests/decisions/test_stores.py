"""The decision log and the control state on SQLite and PostgreSQL."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine

import krakked_core.db.tables  # noqa: F401  (registers every table)
from krakked_core.clock import ManualClock
from krakked_core.control_state import ControlStateStore
from krakked_core.db import head_revisions
from krakked_core.db.decision_tables import decision_actions, decisions
from krakked_core.db.metadata import metadata
from krakked_core.model.decisions import (
    ExecutionPlan,
    RiskAdjustedAction,
    RiskStatus,
    StrategyIntent,
)
from krakked_core.strategy.decision_store import DecisionStore

T0 = datetime(2026, 3, 1, 14, 0, tzinfo=UTC)
OURS = {
    "decisions",
    "decision_intents",
    "decision_actions",
    "control_state",
    "control_state_history",
}


def _touches_ours(diff: object) -> bool:
    """Whether an autogenerate diff (a tuple, or a list of them) concerns one of our tables."""
    items = diff if isinstance(diff, list) else [diff]
    for item in items:
        for part in item[1:]:
            table = getattr(part, "table", part)
            if getattr(table, "name", table) in OURS:
                return True
    return False


def _status(active: bool = False, reasons: tuple[str, ...] = ()) -> RiskStatus:
    return RiskStatus(
        kill_switch_active=active,
        kill_switch_reasons=reasons,
        daily_drawdown_pct=Decimal("0"),
        drift_flag=False,
        total_exposure_pct=Decimal("0"),
        per_asset_exposure_pct={},
        per_strategy_exposure_pct={},
    )


def _intent(pair: str, strategy: str = "trend_v1") -> StrategyIntent:
    return StrategyIntent(
        strategy_id=strategy,
        pair=pair,
        side="long",
        intent_type="enter",
        desired_exposure_usd=None,
        confidence=0.8,
        timeframe="1h",
        generated_at=T0,
        metadata={"ma_fast": 101.5},
    )


def _plan(plan_id: str, at: datetime) -> ExecutionPlan:
    approved = RiskAdjustedAction(
        pair="XBTUSD",
        strategy_id="trend_v1",
        action_type="open",
        target_base_size=Decimal("0.012345678901234567"),
        target_notional_usd=Decimal("740.74"),
        current_base_size=Decimal("0"),
        reason="sized by ATR",
        clamped=True,
        blocked_reasons=("max_per_asset_pct",),
    )
    blocked = RiskAdjustedAction(
        pair="SOLUSD",
        strategy_id="trend_v1+mean_rev_v1",
        action_type="open",
        target_base_size=Decimal("0"),
        target_notional_usd=Decimal("0"),
        current_base_size=Decimal("0"),
        reason="data for SOLUSD is stale",
        blocked=True,
        blocked_reasons=("data_stale",),
    )
    return ExecutionPlan(
        plan_id=plan_id,
        generated_at=at,
        timeframe="1h",
        actions=(approved, blocked),
        intents=(_intent("XBTUSD"), _intent("SOLUSD"), _intent("SOLUSD", "mean_rev_v1")),
        metadata={"equity_usd": "50000", "bar_close": 1772373600},
    )


def test_migrations_when_applied_then_match_the_table_definitions(engine: Engine) -> None:
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    assert [d for d in diffs if _touches_ours(d)] == []
    assert {"0006_decisions", "0007_control_state"} <= head_revisions()


def test_plan_when_saved_then_loads_back_exactly(engine: Engine) -> None:
    store = DecisionStore(engine)
    plan = _plan("p1", T0)
    record = store.save(plan, _status(True, ("kill_switch_manual",)), notes="cycle 1h")
    assert store.load_plan("p1") == plan
    [back] = store.recent()
    assert back == record
    assert (back.intents_count, back.actions_count, back.blocked_count) == (3, 2, 1)
    assert back.kill_switch_reasons == ("kill_switch_manual",)


def test_money_when_stored_then_is_exact_text_not_float(engine: Engine) -> None:
    DecisionStore(engine).save(_plan("p1", T0), _status())
    with engine.connect() as conn:
        raw = conn.execute(
            sa.text("SELECT target_base_size FROM decision_actions WHERE pair = 'XBTUSD'")
        ).scalar()
    assert raw == "0.012345678901234567"


def test_why_not_sol_at_14_when_asked_then_one_query_answers(engine: Engine) -> None:
    DecisionStore(engine).save(_plan("p1", T0), _status())
    a, d = decision_actions, decisions
    query = (
        sa.select(a.c.action_type, a.c.blocked, a.c.blocked_reasons, a.c.reason)
        .join(d, d.c.plan_id == a.c.plan_id)
        .where(a.c.pair == "SOLUSD", d.c.at == T0)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    assert [tuple(r) for r in rows] == [
        ("open", True, '["data_stale"]', "data for SOLUSD is stale")
    ]


def test_save_when_a_row_fails_then_nothing_is_written(engine: Engine) -> None:
    store = DecisionStore(engine)
    store.save(_plan("p1", T0), _status())
    with pytest.raises(sa.exc.IntegrityError):  # the same plan id again: the header collides
        store.save(_plan("p1", T0 + timedelta(hours=1)), _status())
    assert [r.plan_id for r in store.recent()] == ["p1"]
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM decision_actions")).scalar() == 2


def test_recent_when_many_then_newest_first_and_limited(engine: Engine) -> None:
    store = DecisionStore(engine)
    for hour in range(3):
        store.save(_plan(f"p{hour}", T0 + timedelta(hours=hour)), _status())
    assert [r.plan_id for r in store.recent(limit=2)] == ["p2", "p1"]


def test_activity_when_aggregate_action_then_counts_for_each_strategy(engine: Engine) -> None:
    store = DecisionStore(engine)
    store.save(_plan("p1", T0), _status())
    activity = store.activity_by_strategy()
    assert activity["trend_v1"].last_intents_at == T0
    assert activity["trend_v1"].last_actions_at == T0
    # mean_rev_v1's only action was blocked: an intent, but no action approved
    assert activity["mean_rev_v1"].last_intents_at == T0
    assert activity["mean_rev_v1"].last_actions_at is None


def test_kill_switch_when_never_set_then_off(engine: Engine) -> None:
    state = ControlStateStore(engine, ManualClock(T0)).kill_switch()
    assert (state.active, state.changed_at) == (False, None)


def test_kill_switch_when_toggled_then_state_and_history_follow(engine: Engine) -> None:
    clock = ManualClock(T0)
    store = ControlStateStore(engine, clock)
    store.set_kill_switch(True, reason="exchange incident", source="cli")
    clock.advance(60)
    store.set_kill_switch(False, reason="resolved", source="api")
    state = store.kill_switch()
    assert (state.active, state.reason, state.source) == (False, "resolved", "api")
    assert state.changed_at == T0 + timedelta(seconds=60)
    history = store.kill_switch_history()
    assert [(h.active, h.reason, h.changed_at) for h in history] == [
        (False, "resolved", T0 + timedelta(seconds=60)),
        (True, "exchange incident", T0),
    ]


def test_kill_switch_when_set_then_logged_critical_and_cleared_warning(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    store = ControlStateStore(engine, ManualClock(T0))
    with caplog.at_level("WARNING", logger="krakked_core.control_state"):
        store.set_kill_switch(True, reason="panic", source="cli")
        store.set_kill_switch(False, reason="calm", source="cli")
    assert [
        (r.levelname, "panic" in r.getMessage() or "calm" in r.getMessage()) for r in caplog.records
    ] == [
        ("CRITICAL", True),
        ("WARNING", True),
    ]
