"""Stale data, incomplete valuation, liquidity: a plan still comes back, without opens."""

from decimal import Decimal

from tests.fakes.risk import context, engine, intent, position


def test_stale_pair_cannot_be_opened_and_says_why() -> None:
    [action] = engine().evaluate([intent()], context(stale_pairs=frozenset({"XBTUSD"})))
    assert action.blocked and action.blocked_reasons == ("data_stale",)
    assert "stale" in action.reason


def test_stale_pair_can_still_be_closed() -> None:
    ctx = context(stale_pairs=frozenset({"XBTUSD"}), positions=(position(size="1"),))
    [action] = engine().evaluate([intent(intent_type="exit")], ctx)
    assert action.action_type == "close" and not action.blocked


def test_incomplete_valuation_blocks_every_opening_and_names_the_assets() -> None:
    ctx = context(
        valuation_complete=False,
        unvalued_assets=("KFEE",),
        prices={"XBTUSD": "20000", "ETHUSD": "2000"},
    )
    actions = engine().evaluate([intent("XBTUSD"), intent("ETHUSD")], ctx)
    assert all(a.blocked and a.blocked_reasons == ("valuation_incomplete",) for a in actions)
    assert all("KFEE" in a.reason for a in actions)


def test_pair_below_the_liquidity_floor_is_not_opened() -> None:
    ctx = context(liquidity_24h_usd={"XBTUSD": Decimal(50_000)})
    [action] = engine(min_liquidity_24h_usd=100_000.0).evaluate([intent()], ctx)
    assert action.blocked and action.blocked_reasons == ("min_liquidity_24h_usd",)


def test_pair_with_unknown_liquidity_is_not_opened() -> None:
    [action] = engine().evaluate([intent()], context(liquidity_24h_usd={}))
    assert action.blocked_reasons == ("min_liquidity_24h_usd",)


def test_pair_without_any_price_is_not_opened() -> None:
    ctx = context(prices={}, bars={})
    [action] = engine().evaluate([intent()], ctx)
    assert action.blocked and "data_stale" in action.blocked_reasons
    assert action.target_notional_usd == 0
