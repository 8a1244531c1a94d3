"""The matching engine: orders meet the book when placed and the tape while they rest.

- Market orders (and the marketable part of a limit order) take the visible book level by level,
  as taker; what the book cannot fill is cancelled.
- Resting limit orders fill as maker, at their limit, from the public trades that cross them
  after they were placed; their share is capped by those trades' volume (partial fills), one
  fill per order and minute. Better-priced, then older, orders are served first.
- Fees are charged in the quote currency, cost and fee to the pair's ``cost_decimals`` (never finer
  than the quote's ledger decimals). Each fill charges the change in the rounded sums of
  the order's exact cost and fee, so rounding never accumulates.
"""

import dataclasses
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_HALF_EVEN, Decimal
from typing import Any

import numpy as np

from krakked_core.sim.account import Account, Ids
from krakked_core.sim.book import Book, Level, Take, book, walk
from krakked_core.sim.errors import (
    COST_MINIMUM,
    INSUFFICIENT_FUNDS,
    ORDER_MINIMUM,
    SimError,
    invalid,
)
from krakked_core.sim.markets import Markets, Pair
from krakked_core.sim.order_entry import OrderRequest
from krakked_core.sim.prices import NS, PriceModel
from krakked_core.sim.records import ZERO, Order, TradeRecord
from krakked_core.sim.settings import SimSettings
from krakked_core.sim.state import ExchangeState

_TIME_QUANTUM = Decimal("0.0001")


def ns_to_time(ns: int) -> Decimal:
    """Kraken's epoch seconds with four decimals."""
    return (Decimal(ns) / NS).quantize(_TIME_QUANTUM, rounding=ROUND_DOWN)


class Matcher:
    """Places, fills and cancels the account's orders."""

    def __init__(
        self,
        settings: SimSettings,
        markets: Markets,
        prices: PriceModel,
        *,
        state: ExchangeState,
        account: Account,
        ids: Ids,
    ) -> None:
        self._settings = settings
        self._markets = markets
        self._prices = prices
        self._state = state
        self._account = account
        self._ids = ids

    # --- the book ----------------------------------------------------------------------------

    def book(self, pair: Pair, now_ns: int) -> Book:
        mid = self._prices.mid(pair, now_ns)
        return book(pair, mid, self._settings.spread_bps, self._settings.seed, now_ns // (60 * NS))

    def _used(self, pair: Pair, side: str, now_ns: int) -> list[Decimal]:
        """Depth the account has taken from this side of the book during this minute."""
        minute = now_ns // (60 * NS)
        for key in [k for k in self._state.depth_used if int(k.split("|")[1]) != minute]:
            del self._state.depth_used[key]  # a new minute brings a fresh book
        return self._state.depth_used.setdefault(f"{pair.key}|{minute}|{side}", [])

    # --- placing -----------------------------------------------------------------------------

    def check(self, request: OrderRequest, now_ns: int) -> None:
        """Market status, order and cost minimums: what Kraken checks even on ``validate``."""
        pair = request.pair
        _check_status(pair, request)
        if request.volume < pair.ordermin:
            raise SimError(ORDER_MINIMUM)
        top = self.book(pair, now_ns)
        reference = request.price or (
            top.asks[0].price if request.side == "buy" else top.bids[0].price
        )
        if request.volume * reference < pair.costmin:
            raise SimError(COST_MINIMUM)
        if request.cl_ord_id is not None and any(
            o.cl_ord_id == request.cl_ord_id for o in self._state.open_orders.values()
        ):
            raise invalid("cl_ord_id")

    def place(self, request: OrderRequest, now_ns: int) -> Order:
        """Check, fund, record and immediately match a new order; return it."""
        self.check(request, now_ns)
        pair, now = request.pair, ns_to_time(now_ns)
        used = self._used(pair, request.side, now_ns)
        levels = self.book(pair, now_ns)
        side_levels = levels.asks if request.side == "buy" else levels.bids
        takes = walk(side_levels, used, request.volume, request.price, request.side)
        order = request.to_order(opentm=now)
        if request.post_only and _would_take(request, side_levels):
            takes = []  # Kraken accepts the order, then cancels it instead of letting it take
            order.status, order.reason, order.closetm = "canceled", "Post only order", now
        self._fund(order, pair, takes)
        order.txid, order.seq = self._ids.next("O"), self._ids.number("seq")
        self._state.add_order(order)
        for take in takes:
            self._fill(order, pair, take.volume, take.price, now, maker=False)
            while len(used) <= take.level:
                used.append(ZERO)
            used[take.level] += take.volume
        self._after_taking(order, now)
        self._state.order_changed(order)
        return order

    def _fund(self, order: Order, pair: Pair, takes: list[Take]) -> None:
        """Reserve what the order may spend, or refuse it for insufficient funds."""
        if order.side == "sell":
            needed, asset = order.volume, pair.base
        elif order.ordertype == "limit":
            assert order.price is not None
            rate = max(self._settings.taker_fee_pct, self._settings.maker_fee_pct)
            worst = order.volume * order.price * (1 + rate / 100)
            order.reserved = self._account.round_up(pair.quote, worst) + 2 * self._account.quantum(
                pair.quote
            )
            needed, asset = order.reserved, pair.quote
        else:
            needed, asset = self._market_buy_cost(order, pair, takes), pair.quote
        if order.is_open and needed > self._account.available(asset):
            raise SimError(INSUFFICIENT_FUNDS)

    def _market_buy_cost(self, order: Order, pair: Pair, takes: list[Take]) -> Decimal:
        scratch = dataclasses.replace(order, trades=[])
        total = ZERO
        for take in takes:
            cost, fee = self._charge(scratch, pair, take.volume, take.price, maker=False)
            total += cost + fee
        return total

    def _after_taking(self, order: Order, now: Decimal) -> None:
        if not order.is_open:
            return
        if order.remaining <= 0:
            order.status, order.closetm = "closed", now
        elif order.ordertype == "market" or order.timeinforce == "IOC":
            reason = "Insufficient liquidity" if order.ordertype == "market" else "IOC"
            order.status, order.reason, order.closetm = "canceled", reason, now

    # --- fills -------------------------------------------------------------------------------

    def _charge(
        self, order: Order, pair: Pair, qty: Decimal, price: Decimal, *, maker: bool
    ) -> tuple[Decimal, Decimal]:
        """Cost and fee of a fill; advances the order's exact sums and its charged totals."""
        rate = self._settings.maker_fee_pct if maker else self._settings.taker_fee_pct
        order.cost_exact += qty * price
        order.fee_exact += qty * price * rate / 100
        quantum = Decimal(1).scaleb(-self._markets.charge_decimals(pair))
        cost = order.cost_exact.quantize(quantum, rounding=ROUND_HALF_EVEN) - order.cost
        fee = order.fee_exact.quantize(quantum, rounding=ROUND_CEILING) - order.fee
        if order.side == "sell":
            fee = max(ZERO, min(fee, cost))  # a fill never costs a seller more than it pays
        order.cost += cost
        order.fee += fee
        order.vol_exec += qty
        return cost, fee

    def _fill(
        self, order: Order, pair: Pair, qty: Decimal, price: Decimal, time: Decimal, *, maker: bool
    ) -> None:
        cost, fee = self._charge(order, pair, qty, price, maker=maker)
        if order.side == "buy":
            order.charged += cost + fee
        txid = self._ids.next("T")
        ledgers = self._account.settle_fill(
            order, pair, qty=qty, cost=cost, fee=fee, refid=txid, time=time
        )
        order.trades.append(txid)
        self._state.trades[txid] = TradeRecord(
            txid=txid,
            trade_id=self._ids.number("trade_id"),
            ordertxid=order.txid,
            pair=pair.key,
            time=time,
            side=order.side,
            ordertype=order.ordertype,
            price=price,
            vol=qty,
            cost=cost,
            fee=fee,
            maker=maker,
            ledgers=ledgers,
        )

    # --- resting orders ----------------------------------------------------------------------

    def match_until(self, until_ns: int) -> None:
        """Fill resting limit orders from public trades since the last match up to ``until_ns``."""
        start = self._state.matched_until_ns
        if until_ns <= start:
            return
        by_pair: dict[str, list[Order]] = {}
        for order in self._state.open_orders.values():
            if order.ordertype == "limit":
                by_pair.setdefault(order.pair, []).append(order)
        for key in sorted(by_pair):
            self._match_pair(self._markets.pairs[key], by_pair[key], start, until_ns)
        self._state.matched_until_ns = until_ns

    def _match_pair(self, pair: Pair, orders: list[Order], start: int, until: int) -> None:
        parts = self._prices.trades_after(pair, start, until, limit=10**12)
        times = np.concatenate([part.t_ns for part in parts])
        if not len(times):
            return
        ticks = np.concatenate([part.ticks for part in parts])
        left = np.concatenate([part.units for part in parts])  # tape volume not yet taken
        buys = sorted(
            (o for o in orders if o.side == "buy"), key=lambda o: (-(o.price or 0), o.seq)
        )
        sells = sorted((o for o in orders if o.side == "sell"), key=lambda o: (o.price or 0, o.seq))
        for order in buys + sells:
            assert order.price is not None
            limit = int(order.price / pair.tick)
            crosses = ticks <= limit if order.side == "buy" else ticks >= limit
            opened = int(order.opentm * NS)
            candidates = np.flatnonzero(crosses & (times > opened) & (left > 0))
            need = int(order.remaining / pair.lot)
            if len(candidates) and need > 0:
                self._rest_fill(order, pair, (times, left), candidates, need)

    def _rest_fill(
        self, order: Order, pair: Pair, tape: tuple[Any, Any], candidates: Any, need: int
    ) -> None:
        times, left = tape
        cumulative = np.cumsum(left[candidates])
        cut = int(np.searchsorted(cumulative, need))
        used = candidates[: cut + 1]
        take = left[used].copy()
        if cut < len(cumulative) and cumulative[cut] > need:
            take[-1] -= int(cumulative[cut]) - need
        left[used] -= take
        minutes = times[used] // (60 * NS)
        bounds = np.r_[np.flatnonzero(minutes[1:] != minutes[:-1]) + 1, len(used)]
        begin = 0
        for end in bounds.tolist():
            qty = int(take[begin:end].sum()) * pair.lot
            when = ns_to_time(int(times[used[end - 1]]))
            assert order.price is not None
            self._fill(order, pair, qty, order.price, when, maker=True)
            begin = end
            if order.remaining <= 0:
                order.status, order.closetm = "closed", when
                self._state.order_changed(order)

    # --- cancelling --------------------------------------------------------------------------

    def cancel(self, order: Order, now: Decimal, reason: str = "User requested") -> None:
        order.status, order.reason, order.closetm = "canceled", reason, now
        self._state.order_changed(order)

    def open_orders(self) -> list[Order]:
        """The open orders, oldest first."""
        return list(self._state.open_orders.values())


def _would_take(request: OrderRequest, opposite: list[Level]) -> bool:
    """Whether a limit order crosses the book's untouched top (depth this minute's market orders
    used does not count: a post-only buy at the ask would still take)."""
    if request.price is None or not opposite:
        return False
    best = opposite[0].price
    return request.price >= best if request.side == "buy" else request.price <= best


def _check_status(pair: Pair, request: OrderRequest) -> None:
    status = pair.status
    if status == "online":
        return
    if status == "post_only" and request.post_only:
        return
    if status == "limit_only" and request.ordertype == "limit":
        return
    raise SimError(f"EService:Market in {status} mode")
