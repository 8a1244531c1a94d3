"""The account's WebSocket v2 ``executions`` events, read off what the exchange state records.

After every call and step the exchange lets the feed observe its state: a new order gives
``pending_new`` then ``new``, each new fill a ``trade`` event, an order that left the book
``filled``, ``canceled`` or ``expired`` (the dead-man switch's cancellations included). Kraken's
trap is kept on purpose: a trade that fills the whole order still says
``order_status: partially_filled``; only the ``filled`` event completes the order.
"""

import collections
import itertools
from collections.abc import Callable, Collection, Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

from krakked_core.sim.markets import Markets
from krakked_core.sim.records import ZERO, Order, TradeRecord
from krakked_core.sim.state import ExchangeState
from krakked_core.sim.wire import rfc3339

HISTORY = 10_000  # events kept for sessions that fall behind
SNAP_TRADES = 50  # Kraken's snapshot holds only the last 50 fills
_CLOSED_EXEC = {"closed": "filled", "canceled": "canceled", "expired": "expired"}

Item = dict[str, Any]
_R = TypeVar("_R", Order, TradeRecord)
# ``usd_value(asset, amount)``: ``amount`` of ``asset`` in USD now.
UsdValue = Callable[[str, Decimal], Decimal]


class ExecutionFeed:
    """Turns changes of one ``ExchangeState`` into numbered ``executions`` items."""

    def __init__(
        self,
        state: ExchangeState,
        markets: Markets,
        usd_value: UsdValue,
        *,
        history: int = HISTORY,
    ) -> None:
        self._state = state
        self._markets = markets
        self._usd_value = usd_value
        # What was already there when the feed started (a restart) is state, not news.
        self._orders_seen = len(state.orders)
        self._trades_seen = len(state.trades)
        self._open: dict[str, Order] = dict(state.open_orders)
        self._events: collections.deque[Item] = collections.deque(maxlen=history)
        self.count = 0  # events ever emitted: a session's cursor

    def observe(self) -> None:
        """Emit the events of whatever changed since the last observation."""
        orders = _after(self._state.orders.values(), self._orders_seen)
        trades = _after(self._state.trades.values(), self._trades_seen)
        self._orders_seen += len(orders)
        self._trades_seen += len(trades)
        for order in orders:
            self._emit(self._order_item(order, "pending_new", order.opentm, ZERO, ZERO))
            self._emit(self._order_item(order, "new", order.opentm, ZERO, ZERO))
            self._open[order.txid] = order
        for trade in trades:
            self._emit(self._trade_item(trade))
        for order in [o for o in self._open.values() if not o.is_open]:
            del self._open[order.txid]
            item = self._order_item(
                order, _CLOSED_EXEC[order.status], order.closetm, order.vol_exec, order.cost
            )
            if order.reason is not None and order.status != "closed":
                item["reason"] = order.reason
            self._emit(item)

    def since(self, cursor: int) -> tuple[list[Item], int]:
        """The events after ``cursor`` still kept, and the cursor to ask with next."""
        first = self.count - len(self._events)
        return list(itertools.islice(self._events, max(0, cursor - first), None)), self.count

    def snapshot(self, *, orders: bool, trades: bool) -> list[Item]:
        """The open orders (as they stand) and the last 50 fills, oldest first."""
        items = [self._standing(o) for o in self._state.open_orders.values()] if orders else []
        if trades:
            recent = list(self._state.trades.values())[-SNAP_TRADES:]
            items.extend(self._trade_item(t) for t in recent)
        return items

    def _emit(self, item: Item) -> None:
        self._events.append(item)
        self.count += 1

    # --- items -------------------------------------------------------------------------------

    def _standing(self, order: Order) -> Item:
        status = "partially_filled" if order.vol_exec else "new"
        item = self._order_item(order, status, order.opentm, order.vol_exec, order.cost)
        del item["exec_type"]  # a snapshot states the order; it reports no execution
        return item

    def _order_item(
        self, order: Order, status: str, when: Decimal | None, cum_qty: Decimal, cum_cost: Decimal
    ) -> Item:
        pair = self._markets.pairs[order.pair]
        item: Item = {
            "order_id": order.txid,
            "symbol": pair.ws_symbol or pair.altname,
            "side": order.side,
            "order_type": order.ordertype,
            "order_qty": float(order.volume),
            "time_in_force": order.timeinforce.lower(),
            "order_userref": order.userref,
            "exec_type": status,
            "order_status": status,
            "cum_qty": float(cum_qty),
            "cum_cost": float(cum_cost),
            "avg_price": float(cum_cost / cum_qty) if cum_qty else 0.0,
            "timestamp": _time(when or order.opentm),
        }
        if order.price is not None:
            item["limit_price"] = float(order.price)
        if order.cl_ord_id is not None:
            item["cl_ord_id"] = order.cl_ord_id
        return item

    def _trade_item(self, trade: TradeRecord) -> Item:
        order = self._state.orders[trade.ordertxid]
        upto = order.trades[: order.trades.index(trade.txid) + 1]
        done = _through(self._state.trades[txid] for txid in upto)
        item = self._order_item(order, "trade", trade.time, *done)
        pair = self._markets.pairs[trade.pair]
        quote = self._markets.assets[pair.quote].get("altname", pair.quote)
        item.update(
            {
                "order_status": "partially_filled",  # even for the last fill (Kraken's trap)
                "exec_id": trade.txid,
                "trade_id": trade.trade_id,
                "last_qty": float(trade.vol),
                "last_price": float(trade.price),
                "cost": float(trade.cost),
                "liquidity_ind": "m" if trade.maker else "t",
                "fees": [{"asset": quote, "qty": float(trade.fee)}],
                "fee_usd_equiv": float(self._usd_value(pair.quote, trade.fee)),
            }
        )
        return item


def _after(records: Collection[_R], seen: int) -> list[_R]:
    """The records past the first ``seen`` (insertion order); quick when there are none."""
    return list(itertools.islice(records, seen, None)) if len(records) > seen else []


def _through(trades: Iterable[TradeRecord]) -> tuple[Decimal, Decimal]:
    """Cumulative quantity and cost of these fills."""
    qty = cost = ZERO
    for trade in trades:
        qty, cost = qty + trade.vol, cost + trade.cost
    return qty, cost


def _time(epoch: Decimal) -> str:
    return rfc3339(datetime.fromtimestamp(float(epoch), tz=UTC), micros=True)
