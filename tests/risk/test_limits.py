"""Caps (contract Phase 4 §5.1, §9.2): per asset, per strategy, portfolio risk, open positions."""

from dataclasses import replace
from decimal import Decimal

from krakked_core.risk.context import RiskContext
from tests.fakes.candles import T0, flat_bars
from tests.fakes.risk import context, engine, intent, position


def test_per_asset_cap_clamps_the_size_to_the_asset_budget() -> None:
    # Sized 1 XBT = $20 000, but 5 % of 100 000 = $5 000 → 0.25 XBT.
    [action] = engine(max_per_asset_pct=5.0).evaluate([intent()], context())

    assert action.target_base_size == Decimal("0.25")
    assert action.clamped and action.blocked_reasons == ("max_per_asset_pct",)


def test_per_asset_cap_counts_what_is_already_held() -> None:
    # Holds 0.2 XBT ($4 000) of a $5 000 cap → may add 0.05.
    ctx = context(positions=(position(size="0.2"),))
    [action] = engine(max_per_asset_pct=5.0).evaluate([intent(intent_type="increase")], ctx)

    assert action.action_type == "increase"
    assert action.target_base_size == Decimal("0.25")


def test_asset_already_at_its_cap_blocks_the_increase() -> None:
    ctx = context(positions=(position(size="0.25"),))
    [action] = engine(max_per_asset_pct=5.0).evaluate([intent(intent_type="increase")], ctx)

    assert action.blocked and action.action_type == "increase"
    assert action.blocked_reasons == ("max_per_asset_pct",)
    assert action.target_base_size == Decimal("0.25")


def test_per_strategy_cap_is_shared_across_the_pairs_of_one_cycle() -> None:
    # trend may hold 30 % = $30 000. ATR sizing: XBT 1 unit ($20 000), ETH (ATR 50 → 10 units,
    # $20 000). Confidence orders them: ETH first takes $20 000, XBT gets the remaining $10 000.
    ctx = context(prices={"XBTUSD": "20000", "ETHUSD": "2000"}, atr=500.0)
    ctx = _with_atr(ctx, "ETHUSD", 50.0)
    risk = engine(max_per_strategy_pct={"trend": 30.0})
    actions = risk.evaluate(
        [intent("XBTUSD", confidence=0.6), intent("ETHUSD", confidence=0.9)], ctx
    )
    by_pair = {a.pair: a for a in actions}

    assert by_pair["ETHUSD"].target_base_size == Decimal(10)
    assert not by_pair["ETHUSD"].clamped
    assert by_pair["XBTUSD"].target_base_size == Decimal("0.5")
    assert by_pair["XBTUSD"].blocked_reasons == ("max_per_strategy_pct",)


def test_portfolio_risk_cap_limits_the_sum_of_position_risks() -> None:
    # Held: 2 XBT owned by trend, risk 2 × (ATR 500 × 2) = $2 000. Cap 2.5 % = $2 500 → $500
    # of room; ETH's risk per unit is also 500 × 2 = 1 000 → 0.5 ETH.
    ctx = context(prices={"XBTUSD": "20000", "ETHUSD": "2000"}, positions=(position(size="2"),))
    [action] = engine(max_portfolio_risk_pct=2.5).evaluate([intent("ETHUSD")], ctx)

    assert action.target_base_size == Decimal("0.5")
    assert action.blocked_reasons == ("max_portfolio_risk_pct",)


def test_portfolio_risk_cap_counts_manual_positions_even_when_they_are_excluded() -> None:
    ctx = context(
        prices={"XBTUSD": "20000", "ETHUSD": "2000"},
        positions=(position(size="2", owner="manual"),),
    )
    risk = engine(max_portfolio_risk_pct=2.5, include_manual_positions=False)
    [action] = risk.evaluate([intent("ETHUSD")], ctx)
    assert action.target_base_size == Decimal("0.5")


def test_max_open_positions_blocks_a_new_pair_but_not_an_increase() -> None:
    ctx = context(prices={"XBTUSD": "20000", "ETHUSD": "2000"}, positions=(position(size="0.5"),))
    risk = engine(max_open_positions=1)
    actions = risk.evaluate([intent("ETHUSD"), intent("XBTUSD", intent_type="increase")], ctx)
    by_pair = {a.pair: a for a in actions}

    assert by_pair["ETHUSD"].blocked
    assert by_pair["ETHUSD"].blocked_reasons == ("max_open_positions",)
    assert by_pair["XBTUSD"].action_type == "increase"
    assert by_pair["XBTUSD"].target_base_size == Decimal(1)


def test_max_open_positions_is_shared_by_opens_of_one_cycle() -> None:
    ctx = context(prices={"XBTUSD": "20000", "ETHUSD": "20000"})
    actions = engine(max_open_positions=1).evaluate(
        [intent("XBTUSD", confidence=0.5), intent("ETHUSD", confidence=0.7)], ctx
    )
    by_pair = {a.pair: a for a in actions}
    assert by_pair["ETHUSD"].action_type == "open" and not by_pair["ETHUSD"].blocked
    assert by_pair["XBTUSD"].blocked


def test_manual_positions_count_as_open_only_when_included() -> None:
    ctx = context(
        prices={"XBTUSD": "20000", "ETHUSD": "2000"},
        positions=(position(size="0.1", owner="manual"),),
    )
    included = engine(max_open_positions=1).evaluate([intent("ETHUSD")], ctx)
    excluded = engine(max_open_positions=1, include_manual_positions=False).evaluate(
        [intent("ETHUSD")], ctx
    )
    assert included[0].blocked and included[0].blocked_reasons == ("max_open_positions",)
    assert not excluded[0].blocked and excluded[0].action_type == "open"


def test_strategy_max_positions_limits_the_pairs_one_strategy_holds() -> None:
    ctx = context(prices={"XBTUSD": "20000", "ETHUSD": "2000"}, positions=(position(size="0.1"),))
    risk = engine(strategies={"trend": {"max_positions": 1}})
    [action] = risk.evaluate([intent("ETHUSD")], ctx)
    assert action.blocked and "max_positions" in action.reason


def test_change_below_the_deadband_becomes_none() -> None:
    # Holds 0.9996 XBT of a 1-unit target: adding 0.0004 × 20 000 = $8 < $10.
    ctx = context(positions=(position(size="0.9996"),))
    [action] = engine().evaluate([intent(intent_type="increase")], ctx)

    assert action.action_type == "none"
    assert action.target_base_size == Decimal("0.9996")
    assert not action.blocked


def test_deadband_is_configurable() -> None:
    ctx = context(positions=(position(size="0.9996"),))
    [action] = engine(deadband_usd="5").evaluate([intent(intent_type="increase")], ctx)
    assert action.action_type == "increase" and action.target_base_size == Decimal(1)


def test_exit_closes_what_the_strategy_owns() -> None:
    ctx = context(positions=(position(size="0.7"),))
    [action] = engine().evaluate([intent(intent_type="exit")], ctx)
    assert action.action_type == "close"
    assert action.target_base_size == 0 and action.current_base_size == Decimal("0.7")


def test_exit_never_sells_manual_units() -> None:
    ctx = context(positions=(position(size="0.7"), position(size="0.3", owner="manual")))
    [action] = engine().evaluate([intent(intent_type="exit")], ctx)
    assert action.action_type == "reduce"
    assert action.target_base_size == Decimal("0.3")


def test_reduce_without_a_size_halves_the_strategy_position() -> None:
    ctx = context(positions=(position(size="0.8"),))
    [action] = engine().evaluate([intent(intent_type="reduce")], ctx)
    assert action.action_type == "reduce" and action.target_base_size == Decimal("0.4")


def _with_atr(ctx: RiskContext, pair: str, atr: float) -> RiskContext:
    price = float(ctx.prices[pair])
    bars = {**ctx.bars, pair: flat_bars(21, close=price, true_range=atr, end=T0)}
    return replace(ctx, bars=bars)
