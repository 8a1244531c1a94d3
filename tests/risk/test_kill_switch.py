"""Drawdown, drift and the manual switch (contract Phase 4 §5.4, §9.3, §9.4)."""

from datetime import timedelta
from decimal import Decimal

from krakked_core.model.decisions import OPENING_ACTIONS
from krakked_core.risk.context import daily_drawdown_pct
from tests.fakes.risk import NOW, context, engine, intent, position


def _history(*points: tuple[float, str]) -> tuple:
    """(hours before NOW, equity) → equity_history entries."""
    return tuple((NOW - timedelta(hours=hours), Decimal(equity)) for hours, equity in points)


def test_drawdown_is_measured_from_the_peak_of_the_last_24_hours() -> None:
    history = _history((30, "200000"), (20, "110000"), (10, "105000"), (1, "100000"))
    # The 200 000 peak is 30 h old: the peak is 110 000; 110 000 → 99 000 is 10 %.
    assert daily_drawdown_pct(Decimal(99_000), history, NOW) == Decimal(10)


def test_drawdown_is_zero_without_history_or_above_the_peak() -> None:
    assert daily_drawdown_pct(Decimal(5), (), NOW) == 0
    assert daily_drawdown_pct(Decimal(120_000), _history((2, "110000")), NOW) == 0


def test_drawdown_ignores_snapshots_after_now() -> None:
    future = ((NOW + timedelta(hours=1), Decimal(500_000)),)
    assert daily_drawdown_pct(Decimal(100_000), future, NOW) == 0


def test_equity_series_crossing_the_limit_activates_the_kill_switch_and_blocks_opens() -> None:
    risk = engine(max_daily_drawdown_pct=10.0)
    history = _history((6, "100000"), (4, "96000"), (2, "92000"))
    intents = [intent("XBTUSD"), intent("ETHUSD", intent_type="exit")]
    held = (position("ETHUSD", size="3", price="2000"),)
    prices = {"XBTUSD": "20000", "ETHUSD": "2000"}

    before = context(equity="91000", equity_history=history, positions=held, prices=prices)
    after = context(equity="89000", equity_history=history, positions=held, prices=prices)

    assert not risk.status(before).kill_switch_active
    assert risk.evaluate(intents, before)[1].action_type == "open"
    status = risk.status(after)
    assert status.kill_switch_active
    assert status.kill_switch_reasons == ("kill_switch_drawdown",)
    assert status.daily_drawdown_pct == Decimal(11)
    eth, xbt = risk.evaluate(intents, after)
    assert xbt.blocked and xbt.blocked_reasons == ("kill_switch_drawdown",)
    assert xbt.target_base_size == 0
    assert eth.action_type == "close" and not eth.blocked  # de-risking still allowed


def test_drawdown_exactly_at_the_limit_does_not_trip() -> None:
    ctx = context(equity="90000", equity_history=_history((1, "100000")))
    assert not engine(max_daily_drawdown_pct=10.0).status(ctx).kill_switch_active


def test_drift_blocks_opening_and_increasing_but_allows_reduce_and_close() -> None:
    held = (position("XBTUSD", size="0.5"), position("ETHUSD", size="4", price="2000"))
    ctx = context(drift_flag=True, positions=held, prices={"XBTUSD": "20000", "ETHUSD": "2000"})
    intents = [
        intent("XBTUSD", intent_type="increase"),
        intent("ETHUSD", intent_type="reduce"),
        intent("SOLUSD"),
    ]
    actions = engine().evaluate(intents, ctx)

    assert all(a.blocked for a in actions if a.action_type in OPENING_ACTIONS)
    assert {a.pair for a in actions if a.blocked} == {"XBTUSD", "SOLUSD"}
    assert all("kill_switch_drift" in a.blocked_reasons for a in actions if a.blocked)
    [eth] = [a for a in actions if a.pair == "ETHUSD"]
    assert eth.action_type == "reduce" and eth.target_base_size == 2


def test_drift_is_ignored_when_kill_switch_on_drift_is_off() -> None:
    [action] = engine(kill_switch_on_drift=False).evaluate([intent()], context(drift_flag=True))
    assert action.action_type == "open" and not action.blocked


def test_manual_switch_blocks_with_its_reason() -> None:
    ctx = context(kill_switch_manual=True, kill_switch_reason="exchange incident")
    [action] = engine().evaluate([intent()], ctx)

    assert action.blocked and action.blocked_reasons == ("kill_switch_manual",)
    assert "exchange incident" in action.reason


def test_all_active_conditions_are_reported() -> None:
    ctx = context(
        kill_switch_manual=True,
        drift_flag=True,
        equity="50000",
        equity_history=_history((1, "100000")),
    )
    status = engine().status(ctx)
    assert status.kill_switch_reasons == (
        "kill_switch_manual",
        "kill_switch_drift",
        "kill_switch_drawdown",
    )
