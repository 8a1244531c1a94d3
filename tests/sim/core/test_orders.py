"""AddOrder, fills, holds, cancels and the dead-man switch."""

from decimal import Decimal
from typing import Any

import pytest

from krakked_core.clock import ManualClock
from krakked_core.sim.errors import SimError
from krakked_core.sim.exchange import Exchange
from krakked_core.sim.trading_costs import TradingCosts

from .conftest import MakeExchange, future_trades


def add(exchange: Exchange, **params: str) -> dict[str, Any]:
    result: dict[str, Any] = exchange.private("AddOrder", params)
    return result


def order(exchange: Exchange, txid: str) -> dict[str, Any]:
    found: dict[str, Any] = exchange.private("QueryOrders", {"txid": txid, "trades": "true"})[txid]
    return found


def book_top(exchange: Exchange, pair: str) -> tuple[Decimal, Decimal]:
    book = next(iter(exchange.public("Depth", {"pair": pair, "count": "1"}).values()))
    return Decimal(book["bids"][0][0]), Decimal(book["asks"][0][0])


def crossing_limit(
    exchange: Exchange,
) -> tuple[list[tuple[Decimal, Decimal, float]], Decimal]:
    """The next two hours' XBTUSD tape and a buy limit below the bid that the tape crosses."""
    tape = future_trades(exchange, "XBTUSD", 120)
    bid, _ = book_top(exchange, "XBTUSD")
    limit = min(p for p, _, _ in tape) + Decimal("0.1")
    assert limit < bid
    return tape, limit


BUY = {"pair": "XBTUSD", "type": "buy", "ordertype": "limit", "volume": "0.01", "price": "50000"}


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"pair": "NOPE"}, "EQuery:Unknown asset pair"),
        ({"type": "hold"}, "EGeneral:Invalid arguments:type"),
        ({"ordertype": "stop-loss"}, "EGeneral:Invalid arguments:ordertype"),
        ({"volume": "abc"}, "EGeneral:Invalid arguments:volume"),
        ({"volume": "-1"}, "EGeneral:Invalid arguments:volume"),
        ({"volume": "0.000000001"}, "EGeneral:Invalid arguments:volume"),
        ({"price": "50000.05"}, "EOrder:Invalid price"),
        ({"price": "-5"}, "EOrder:Invalid price"),
        ({"volume": "0.00001"}, "EOrder:Order minimum not met"),
        ({"volume": "0.00005", "price": "1000"}, "EOrder:Cost minimum not met"),
        ({"volume": "5", "price": "50000"}, "EOrder:Insufficient funds"),
        ({"pair": "WAVESUSD", "volume": "10", "price": "1"}, "EService:Market in cancel_only mode"),
        ({"userref": "1", "cl_ord_id": "abc"}, "EGeneral:Invalid arguments:cl_ord_id"),
        ({"cl_ord_id": "x" * 19}, "EGeneral:Invalid arguments:cl_ord_id"),
        ({"userref": "99999999999"}, "EGeneral:Invalid arguments:userref"),
        ({"timeinforce": "GTD"}, "EGeneral:Invalid arguments:timeinforce"),
        ({"oflags": "viqc"}, "EGeneral:Invalid arguments:oflags"),
        ({"ordertype": "market", "oflags": "post"}, "EGeneral:Invalid arguments:oflags"),
    ],
)
def test_add_order_when_argument_wrong_then_kraken_error(
    exchange: Exchange, changes: dict[str, str], error: str
) -> None:
    with pytest.raises(SimError) as err:
        add(exchange, **{**BUY, **changes})
    assert err.value.kraken_error == error
    assert exchange.private("OpenOrders", {}) == {"open": {}}


def test_add_order_when_price_off_tick_then_tick_size_check_failed(
    make_exchange: MakeExchange,
) -> None:
    exchange = make_exchange(
        starting_balances={"ZUSD": Decimal(100000)},
    )
    exchange.markets.pairs["XETHZUSD"].info["tick_size"] = "0.05"  # type: ignore[index]
    with pytest.raises(SimError, match="EOrder:Tick size check failed"):
        add(exchange, pair="ETHUSD", type="buy", ordertype="limit", volume="1", price="2000.01")


def test_add_order_when_sell_more_than_held_then_insufficient_funds(exchange: Exchange) -> None:
    with pytest.raises(SimError, match="EOrder:Insufficient funds"):
        add(exchange, pair="XBTUSD", type="sell", ordertype="market", volume="0.01")


def test_add_order_when_validate_then_descr_only_and_nothing_placed(exchange: Exchange) -> None:
    result = add(exchange, **BUY, validate="true")
    assert result == {"descr": {"order": "buy 0.01000000 XBTUSD @ limit 50000.0"}}
    assert exchange.private("OpenOrders", {}) == {"open": {}}
    assert exchange.private("Ledgers", {})["count"] == 1


def test_add_order_when_read_only_key_then_permission_denied(exchange: Exchange) -> None:
    for method in ("AddOrder", "CancelOrder", "CancelAll", "CancelAllOrdersAfter"):
        with pytest.raises(SimError, match="EGeneral:Permission denied"):
            exchange.private(method, BUY, can_trade=False)
    assert exchange.private("Balance", {}, can_trade=False) == {"ZUSD": "100000.0000"}


def test_market_buy_when_placed_then_fills_at_ask_with_taker_fee(exchange: Exchange) -> None:
    _, ask = book_top(exchange, "XBTUSD")
    txid = add(exchange, pair="XBTUSD", type="buy", ordertype="market", volume="0.05")["txid"][0]
    placed = order(exchange, txid)
    assert placed["status"] == "closed" and placed["vol_exec"] == "0.05000000"
    cost = (ask * Decimal("0.05")).quantize(Decimal("0.0001"))
    fee = (cost * Decimal("0.004")).quantize(Decimal("0.0001"), rounding="ROUND_CEILING")
    assert (Decimal(placed["cost"]), Decimal(placed["fee"])) == (cost, fee)
    trade = exchange.private("QueryTrades", {"txid": placed["trades"][0]})[placed["trades"][0]]
    assert (trade["maker"], Decimal(trade["price"]), trade["pair"]) == (False, ask, "XXBTZUSD")
    balance = exchange.private("Balance", {})
    assert Decimal(balance["ZUSD"]) == 100000 - cost - fee
    assert Decimal(balance["XXBT"]) == Decimal("0.05")


def test_market_buy_when_larger_than_book_then_walks_levels_and_cancels_rest(
    make_exchange: MakeExchange,
) -> None:
    exchange = make_exchange(seed=7, history_days=3, starting_balances={"ZUSD": Decimal(10**6)})
    book = exchange.public("Depth", {"pair": "BANDUSD"})["BANDUSD"]
    depth = sum(Decimal(level[1]) for level in book["asks"])
    txid = add(exchange, pair="BANDUSD", type="buy", ordertype="market", volume=str(depth + 100))[
        "txid"
    ][0]
    placed = order(exchange, txid)
    assert placed["status"] == "canceled"
    assert Decimal(placed["vol_exec"]) == depth
    assert len(placed["trades"]) == len(book["asks"])
    again = add(exchange, pair="BANDUSD", type="buy", ordertype="market", volume="10")["txid"][0]
    assert order(exchange, again)["vol_exec"] == "0.00000000"  # the minute's book is used up


def test_limit_buy_when_path_crosses_then_maker_fill_at_limit(
    exchange: Exchange, clock: ManualClock
) -> None:
    tape, limit = crossing_limit(exchange)
    txid = add(
        exchange, pair="XBTUSD", type="buy", ordertype="limit", volume="0.0001", price=str(limit)
    )["txid"][0]
    assert order(exchange, txid)["status"] == "open"
    clock.advance(120 * 60)
    exchange.step()
    filled = order(exchange, txid)
    assert filled["status"] == "closed" and filled["vol_exec"] == "0.00010000"
    trade = exchange.private("QueryTrades", {"txid": filled["trades"][0]})[filled["trades"][0]]
    assert trade["maker"] is True and Decimal(trade["price"]) == limit
    first_cross = next(t for p, _, t in tape if p <= limit)
    assert abs(trade["time"] - first_cross) < 0.001


def test_limit_buy_when_tape_volume_smaller_then_partial_fill_stays_open(
    exchange: Exchange, clock: ManualClock
) -> None:
    tape = future_trades(exchange, "XBTUSD", 30)
    limit = sorted(p for p, _, _ in tape)[2]
    crossing = sum(v for p, v, _ in tape if p <= limit)
    volume = crossing + Decimal(1)
    txid = add(
        exchange, pair="XBTUSD", type="buy", ordertype="limit", volume=str(volume), price=str(limit)
    )["txid"][0]
    clock.advance(30 * 60)
    exchange.step()
    partial = order(exchange, txid)
    assert partial["status"] == "open"
    assert Decimal(partial["vol_exec"]) == crossing
    minutes = {int(t) // 60 for p, _, t in tape if p <= limit}
    assert len(partial["trades"]) == len(minutes)  # one fill per order and minute
    hold = exchange.private("BalanceEx", {})["ZUSD"]["hold_trade"]
    reserved = Decimal(volume) * limit * Decimal("1.004")
    assert 0 < Decimal(hold) < reserved - crossing * limit


def test_post_only_when_it_would_take_then_order_cancelled_post_only(exchange: Exchange) -> None:
    _, ask = book_top(exchange, "XBTUSD")
    txid = add(
        exchange,
        pair="XBTUSD",
        type="buy",
        ordertype="limit",
        volume="0.01",
        price=str(ask),
        oflags="post",
    )["txid"][0]
    cancelled = order(exchange, txid)
    assert (cancelled["status"], cancelled["reason"], cancelled["vol_exec"]) == (
        "canceled",
        "Post only order",
        "0.00000000",
    )
    assert exchange.private("Balance", {}) == {"ZUSD": "100000.0000"}


@pytest.mark.parametrize("side", ["buy", "sell"])
def test_post_only_when_top_level_used_this_minute_then_still_cancelled(
    make_exchange: MakeExchange, side: str
) -> None:
    exchange = make_exchange(
        seed=7, history_days=3, starting_balances={"ZUSD": Decimal(100000), "XBT": Decimal(5)}
    )
    book = next(iter(exchange.public("Depth", {"pair": "XBTUSD", "count": "2"}).values()))
    top = book["asks" if side == "buy" else "bids"][0]
    add(exchange, pair="XBTUSD", type=side, ordertype="market", volume=top[1])  # eats the level

    txid = add(
        exchange,
        pair="XBTUSD",
        type=side,
        ordertype="limit",
        volume="0.01",
        price=format(Decimal(top[0]).quantize(Decimal("0.1")), "f"),  # XBTUSD's pair_decimals
        oflags="post",
    )["txid"][0]

    placed = order(exchange, txid)
    assert (placed["status"], placed["reason"]) == ("canceled", "Post only order")
    assert exchange.private("OpenOrders", {}) == {"open": {}}


def test_post_only_when_below_ask_then_rests(exchange: Exchange) -> None:
    bid, _ = book_top(exchange, "XBTUSD")
    txid = add(
        exchange,
        pair="XBTUSD",
        type="buy",
        ordertype="limit",
        volume="0.01",
        price=str(bid),
        oflags="post",
    )["txid"][0]
    assert order(exchange, txid)["status"] == "open"
    assert order(exchange, txid)["oflags"] == "post"


def test_ioc_when_not_marketable_then_cancelled_unfilled(exchange: Exchange) -> None:
    txid = add(exchange, **BUY, timeinforce="IOC")["txid"][0]
    assert order(exchange, txid)["status"] == "canceled"
    assert exchange.private("BalanceEx", {})["ZUSD"]["hold_trade"] == "0.0000"


def test_ioc_when_marketable_then_fills_now_as_taker(exchange: Exchange) -> None:
    _, ask = book_top(exchange, "XBTUSD")
    txid = add(
        exchange,
        pair="XBTUSD",
        type="buy",
        ordertype="limit",
        volume="0.01",
        price=str(ask + 100),
        timeinforce="IOC",
    )["txid"][0]
    filled = order(exchange, txid)
    assert filled["status"] == "closed" and Decimal(filled["price"]) == ask


def test_holds_when_orders_open_then_balance_ex_and_funds_checks_count_them(
    exchange: Exchange,
) -> None:
    add(exchange, pair="XBTUSD", type="buy", ordertype="limit", volume="1", price="50000")
    held = Decimal(exchange.private("BalanceEx", {})["ZUSD"]["hold_trade"])
    assert held >= Decimal(50000) * Decimal("1.004")
    assert exchange.private("Balance", {})["ZUSD"] == "100000.0000"  # totals, no holds
    with pytest.raises(SimError, match="EOrder:Insufficient funds"):
        add(exchange, pair="XBTUSD", type="buy", ordertype="limit", volume="1", price="50000")
    with pytest.raises(SimError, match="EFunding:Insufficient funds"):
        exchange.withdraw("ZUSD", Decimal(50000))
    exchange.private("CancelAll", {})
    assert exchange.private("BalanceEx", {})["ZUSD"]["hold_trade"] == "0.0000"
    exchange.withdraw("ZUSD", Decimal(50000))


def test_cancel_order_when_by_txid_cl_ord_id_or_unknown(exchange: Exchange) -> None:
    first = add(exchange, **BUY, cl_ord_id="my-order-1")["txid"][0]
    second = add(exchange, **BUY, userref="42")["txid"][0]
    with pytest.raises(SimError, match="EGeneral:Invalid arguments:cl_ord_id"):
        add(exchange, **BUY, cl_ord_id="my-order-1")  # already on an open order
    assert exchange.private("CancelOrder", {"cl_ord_id": "my-order-1"}) == {"count": 1}
    assert order(exchange, first)["status"] == "canceled"
    add(exchange, **BUY, cl_ord_id="my-order-1")  # free again once the first is closed
    assert exchange.private("CancelOrder", {"txid": second}) == {"count": 1}
    assert order(exchange, second)["reason"] == "User requested"
    with pytest.raises(SimError, match="EOrder:Unknown order"):
        exchange.private("CancelOrder", {"txid": second})
    with pytest.raises(SimError, match="EOrder:Unknown order"):
        exchange.private("CancelOrder", {"txid": "OAAAAA-BBBBB-CCCCCC"})


def test_open_orders_when_filtered_by_userref_or_cl_ord_id(exchange: Exchange) -> None:
    add(exchange, **BUY, userref="7")
    tagged = add(exchange, **BUY, cl_ord_id="0123456789abcdef0123456789abcdef")["txid"][0]
    assert len(exchange.private("OpenOrders", {"userref": "7"})["open"]) == 1
    found = exchange.private("OpenOrders", {"cl_ord_id": "0123456789abcdef0123456789abcdef"})[
        "open"
    ]
    assert (
        list(found) == [tagged] and found[tagged]["cl_ord_id"] == "0123456789abcdef0123456789abcdef"
    )


def test_cancel_all_when_orders_open_then_count(exchange: Exchange) -> None:
    for _ in range(3):
        add(exchange, **BUY)
    assert exchange.private("CancelAll", {}) == {"count": 3}
    assert exchange.private("CancelAll", {}) == {"count": 0}


def test_dead_man_switch_when_not_refreshed_then_cancels_all_and_disarms(
    exchange: Exchange, clock: ManualClock
) -> None:
    txid = add(exchange, **BUY)["txid"][0]
    armed = exchange.private("CancelAllOrdersAfter", {"timeout": "60"})
    assert armed["currentTime"] == "2026-03-01T12:00:30Z"
    assert armed["triggerTime"] == "2026-03-01T12:01:30Z"
    clock.advance(45)
    exchange.private("CancelAllOrdersAfter", {"timeout": "60"})  # refreshed: now 12:02:15
    clock.advance(45)
    exchange.step()
    assert order(exchange, txid)["status"] == "open"
    clock.advance(30)
    exchange.step()
    cancelled = order(exchange, txid)
    assert cancelled["status"] == "canceled"
    assert cancelled["closetm"] == pytest.approx(clock.now().timestamp() - 15)
    later = add(exchange, **BUY)["txid"][0]
    clock.advance(600)
    exchange.step()
    assert order(exchange, later)["status"] == "open"  # it fired once and stays off


def test_dead_man_switch_when_timeout_zero_then_disabled(
    exchange: Exchange, clock: ManualClock
) -> None:
    txid = add(exchange, **BUY)["txid"][0]
    exchange.private("CancelAllOrdersAfter", {"timeout": "10"})
    assert exchange.private("CancelAllOrdersAfter", {"timeout": "0"})["triggerTime"] == "0"
    clock.advance(60)
    exchange.step()
    assert order(exchange, txid)["status"] == "open"
    with pytest.raises(SimError, match="EGeneral:Invalid arguments:timeout"):
        exchange.private("CancelAllOrdersAfter", {"timeout": "-1"})


def test_query_orders_when_unknown_txid_then_invalid_order(exchange: Exchange) -> None:
    with pytest.raises(SimError, match="EOrder:Invalid order"):
        exchange.private("QueryOrders", {"txid": "OAAAAA-BBBBB-CCCCCC"})


def test_manual_order_when_placed_then_looks_like_any_order(exchange: Exchange) -> None:
    txid = exchange.place_manual_order("ETHUSD", "buy", "market", Decimal("0.5"))
    placed = order(exchange, txid)
    assert placed["status"] == "closed" and "cl_ord_id" not in placed
    assert Decimal(exchange.private("Balance", {})["XETH"]) == Decimal("0.5")


def test_cancel_cost_when_txid_and_cl_ord_id_then_priced_on_exactly_the_cancelled_orders(
    exchange: Exchange, clock: ManualClock
) -> None:
    by_txid = add(exchange, **BUY)["txid"][0]
    add(exchange, **{**BUY, "cl_ord_id": "by-client-id"})
    add(exchange, **{**BUY, "userref": "42"})
    clock.advance(7)  # young orders: Kraken's penalty for cancelling under 10 s is 6
    params = {"txid": by_txid, "cl_ord_id": "by-client-id"}

    cost = TradingCosts(exchange).before("CancelOrder", params)
    targets = {o.txid for o in exchange.cancel_targets(params)}
    cancelled = exchange.private("CancelOrder", params)

    assert cancelled == {"count": 2} and len(targets) == 2 and by_txid in targets
    assert cost == {"XBTUSD": 12.0}
    assert TradingCosts(exchange).before("CancelOrder", {"txid": "42"}) == {"XBTUSD": 6.0}
    assert TradingCosts(exchange).before("CancelOrder", {"txid": "ONOPE"}) == {}
