"""The WS v2 ``executions`` events the exchange core emits (the socket is tested in server/)."""

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from krakked_core.clock import ManualClock
from krakked_core.sim.errors import SimError
from krakked_core.sim.exchange import Exchange
from krakked_core.sim.executions import ExecutionFeed
from krakked_core.sim.settings import SimSettings

from .conftest import START
from .test_orders import BUY, add, crossing_limit, order

MARKET_BUY = {"pair": "XBTUSD", "type": "buy", "ordertype": "market", "volume": "0.01"}


def events_after(exchange: Exchange, cursor: int) -> list[dict[str, Any]]:
    items, _ = exchange.executions_since(cursor)
    return items


def test_market_buy_when_filled_then_pending_new_new_trades_then_filled_last(
    exchange: Exchange,
) -> None:
    _, cursor = exchange.executions_snapshot(orders=True, trades=True)
    txid = add(exchange, **MARKET_BUY, cl_ord_id="mkt-1")["txid"][0]
    placed = order(exchange, txid)

    events = events_after(exchange, cursor)

    kinds = [e["exec_type"] for e in events]
    assert kinds[:2] == ["pending_new", "new"] and kinds[-1] == "filled"
    assert set(kinds[2:-1]) == {"trade"}
    assert all(e["order_id"] == txid and e["cl_ord_id"] == "mkt-1" for e in events)
    trades = [e for e in events if e["exec_type"] == "trade"]
    # Kraken's trap: even the fill that completes the order says partially_filled.
    assert {t["order_status"] for t in trades} == {"partially_filled"}
    assert [t["exec_id"] for t in trades] == placed["trades"]
    assert sum(Decimal(str(t["last_qty"])) for t in trades) == Decimal("0.01")
    assert trades[-1]["cum_qty"] == 0.01
    for trade in trades:
        record = exchange.private("QueryTrades", {"txid": trade["exec_id"]})[trade["exec_id"]]
        assert trade["trade_id"] == record["trade_id"] and trade["liquidity_ind"] == "t"
        assert trade["last_price"] == float(record["price"])
        assert trade["cost"] == float(record["cost"])
        assert trade["fees"] == [{"asset": "USD", "qty": float(record["fee"])}]
        assert trade["fee_usd_equiv"] == float(record["fee"])  # a USD pair: the fee itself
    done = events[-1]
    assert done["order_status"] == "filled" and done["cum_qty"] == 0.01
    assert done["cum_cost"] == float(placed["cost"])


def test_resting_limit_when_tape_crosses_then_maker_trade_and_filled(
    exchange: Exchange, clock: ManualClock
) -> None:
    _, limit = crossing_limit(exchange)
    txid = add(exchange, **{**BUY, "volume": "0.0001", "price": str(limit)})["txid"][0]
    _, cursor = exchange.executions_snapshot(orders=False, trades=False)

    clock.advance(120 * 60)
    exchange.step()

    events = events_after(exchange, cursor)
    assert [e["exec_type"] for e in events] == ["trade", "filled"]
    assert events[0]["liquidity_ind"] == "m" and events[0]["last_price"] == float(limit)
    assert events[1]["order_id"] == txid


def test_dead_man_switch_when_fired_then_canceled_events(
    exchange: Exchange, clock: ManualClock
) -> None:
    first = add(exchange, **BUY, cl_ord_id="rest-1")["txid"][0]
    second = add(exchange, **BUY)["txid"][0]
    exchange.private("CancelAllOrdersAfter", {"timeout": "60"})
    _, cursor = exchange.executions_snapshot(orders=False, trades=False)

    clock.advance(61)
    exchange.step()

    events = events_after(exchange, cursor)
    assert [(e["order_id"], e["exec_type"], e["order_status"]) for e in events] == [
        (first, "canceled", "canceled"),
        (second, "canceled", "canceled"),
    ]
    assert events[0]["cl_ord_id"] == "rest-1" and events[0]["reason"] == "User requested"


def test_snapshot_when_orders_and_fills_exist_then_open_orders_and_fills_and_no_replay(
    exchange: Exchange,
) -> None:
    add(exchange, **MARKET_BUY)
    resting = add(exchange, **BUY, cl_ord_id="rests")["txid"][0]
    fills = len(exchange.private("TradesHistory", {})["trades"])

    items, cursor = exchange.executions_snapshot(orders=True, trades=True)
    only_orders, _ = exchange.executions_snapshot(orders=True, trades=False)

    assert items[0]["order_id"] == resting and items[0]["order_status"] == "new"
    assert "exec_type" not in items[0]
    assert [i["exec_type"] for i in items[1:]] == ["trade"] * fills
    assert only_orders == items[:1]
    assert events_after(exchange, cursor) == []  # what the snapshot showed is not sent again
    exchange.private("CancelOrder", {"cl_ord_id": "rests"})
    assert [e["exec_type"] for e in events_after(exchange, cursor)] == ["canceled"]


def test_restart_when_orders_tagged_then_cl_ord_id_kept_still_unique_and_no_old_events(
    tmp_path: Path,
) -> None:
    settings = SimSettings(seed=5, history_days=1, state_file=tmp_path / "state.json")
    clock = ManualClock(START)
    first = Exchange(settings, clock)
    txid = add(first, **BUY, cl_ord_id="survives")["txid"][0]
    add(first, **MARKET_BUY, cl_ord_id="filled-before")
    first.save()

    second = Exchange(settings, clock)

    assert list(second.private("OpenOrders", {"cl_ord_id": "survives"})["open"]) == [txid]
    closed = second.private("ClosedOrders", {"cl_ord_id": "filled-before"})["closed"]
    assert [o["cl_ord_id"] for o in closed.values()] == ["filled-before"]
    assert second.orders_by_cl_ord_id() == {"survives": 1, "filled-before": 1}
    with pytest.raises(SimError, match="EGeneral:Invalid arguments:cl_ord_id"):
        add(second, **BUY, cl_ord_id="survives")  # still open after the restart
    items, cursor = second.executions_snapshot(orders=True, trades=False)
    assert [i["cl_ord_id"] for i in items] == ["survives"]
    assert cursor == 0  # the feed starts from the restored state: no replay of old events
    second.private("CancelOrder", {"cl_ord_id": "survives"})
    assert [e["order_id"] for e in events_after(second, cursor)] == [txid]


def test_feed_when_session_fell_behind_its_history_then_cursor_jump_shows_the_loss(
    exchange: Exchange,
) -> None:
    feed = ExecutionFeed(exchange.state, exchange.markets, lambda asset, amount: amount, history=3)
    add(exchange, **BUY)
    add(exchange, **BUY)
    feed.observe()  # four events: pending_new and new of each order

    items, cursor = feed.since(0)

    assert [i["exec_type"] for i in items] == ["new", "pending_new", "new"]
    assert cursor - 0 > len(items)  # what the session turns into a sequence gap
    assert feed.since(cursor) == ([], cursor)
