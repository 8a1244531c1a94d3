"""The sandbox exchange's core: Kraken's public and private methods, matching, funds, state.

Transport (HTTP, WebSocket, auth, rate limits, faults) lives elsewhere and calls ``public`` and
``private`` with a method name and its parameters; results are Kraken's ``result`` objects, and
refusals are ``SimError`` carrying Kraken's error string. Every call holds one lock, so the
server may call from many threads.
"""

import contextlib
import logging
import math
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from krakked_core.clock import Clock
from krakked_core.sim.account import Account, Ids
from krakked_core.sim.auth import TRADING_METHODS
from krakked_core.sim.errors import (
    DEADLINE_ELAPSED,
    PERMISSION_DENIED,
    UNKNOWN_METHOD,
    UNKNOWN_ORDER,
    SimError,
    invalid,
)
from krakked_core.sim.executions import ExecutionFeed, Item
from krakked_core.sim.markets import STAKED_SUFFIXES, Markets
from krakked_core.sim.matching import Matcher, ns_to_time
from krakked_core.sim.order_entry import OrderRequest, parse_add_order
from krakked_core.sim.prices import NS, Candles, PriceModel, ns_of
from krakked_core.sim.private import AccountApi
from krakked_core.sim.public import OHLC_INTERVALS, PublicApi, vwap
from krakked_core.sim.records import Order
from krakked_core.sim.settings import SimSettings
from krakked_core.sim.state import ExchangeState, load_state, write_state
from krakked_core.sim.wire import names, rfc3339

log = logging.getLogger(__name__)

MAX_DEADMAN_TIMEOUT = 86_400
MAX_DEADLINE_AHEAD = timedelta(seconds=60)
SAVE_INTERVAL_SECONDS = 1.0


@dataclass(frozen=True)
class _Snapshot:
    generation: int
    data: dict[str, Any]


DEADMAN_REASON = "User requested"


class Exchange:
    """One sandbox exchange: markets, prices, one account, its orders, trades and ledger."""

    def __init__(self, settings: SimSettings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock
        self.markets = Markets.load(settings.markets_file)
        self._lock = threading.RLock()
        self._prices = PriceModel(self.markets, settings.seed)
        if settings.replay_ohlc_file is not None:
            from krakked_core.sim.replay import load_replay  # noqa: PLC0415 - optional feature

            load_replay(self._prices, self.markets, settings.replay_ohlc_file)
        loaded = load_state(settings.state_file) if settings.state_file else None
        now_ns = ns_of(clock.now())
        self._state = loaded or ExchangeState(created_at=now_ns // NS, matched_until_ns=now_ns)
        self._ids = Ids(settings.seed, self._state.counters)
        self._account = Account(self._state, self.markets, self._ids)
        self._matcher = Matcher(
            settings,
            self.markets,
            self._prices,
            state=self._state,
            account=self._account,
            ids=self._ids,
        )
        self._public = PublicApi(
            settings, self.markets, self._prices, self._matcher, self._history_start
        )
        self._queries = AccountApi(
            self.markets, self._prices, self._state, self._account, self._matcher
        )
        self._feed = ExecutionFeed(
            self._state,
            self.markets,
            lambda asset, amount: self._queries.value(
                asset, amount, "ZUSD", ns_of(self.clock.now())
            ),
        )
        self._trading = {
            "AddOrder": self._add_order,
            "CancelOrder": self._cancel_order,
            "CancelAll": self._cancel_all,
            "CancelAllOrdersAfter": self._cancel_all_after,
        }
        self._save_lock = threading.Lock()  # orders file writes; never held with ``_lock`` waiting
        self._dirty = loaded is None
        self._last_save = -math.inf  # monotonic seconds of the last snapshot taken
        self._generation = 0  # of the last snapshot taken (under ``_lock``)
        self._written_generation = 0  # of the last snapshot on disk (under ``_save_lock``)
        self.saves_written = 0
        if loaded is None:
            for asset, amount in settings.starting_balances.items():
                key = self.markets.asset_key(asset)
                self._account.fund(key, amount, "deposit", ns_to_time(now_ns))
        self.save()

    # --- the two entry points ----------------------------------------------------------------

    def public(self, method: str, params: Mapping[str, str]) -> Any:
        """Kraken's ``result`` of a public method, or ``SimError``."""
        handler = self._public.methods.get(method)
        if handler is None:
            raise SimError(UNKNOWN_METHOD)
        with self._lock:
            return handler(params, self.clock.now())

    def private(self, method: str, params: Mapping[str, str], *, can_trade: bool = True) -> Any:
        """Kraken's ``result`` of a private method (``nonce`` is the transport's business)."""
        if method in TRADING_METHODS and not can_trade:
            raise SimError(PERMISSION_DENIED)
        handler = self._trading.get(method) or self._queries.methods.get(method)
        if handler is None:
            raise SimError(UNKNOWN_METHOD)
        with self._locked():
            now = self.clock.now()
            self._step(ns_of(now))
            try:
                return handler(params, now)
            finally:
                if method in self._trading:
                    self._dirty = True

    def step(self) -> None:
        """Match resting orders against the tape up to now; fire the dead-man switch if due.

        Also what keeps the state file at most ``SAVE_INTERVAL_SECONDS`` behind: SandboxExchange
        calls it every 0.25 s.
        """
        with self._locked():
            self._step(ns_of(self.clock.now()))

    def _step(self, now_ns: int) -> None:
        trades_before = len(self._state.trades)
        trigger = self._state.deadman_trigger
        if trigger is not None and int(trigger * NS) <= now_ns:
            self._matcher.match_until(int(trigger * NS))
            for order in self._matcher.open_orders():
                self._matcher.cancel(order, trigger, DEADMAN_REASON)
            self._state.deadman_trigger = None
            self._dirty = True
            log.info("dead-man switch fired", extra={"trigger": str(trigger)})
        self._matcher.match_until(now_ns)
        if len(self._state.trades) != trades_before:
            self._dirty = True

    # --- trading -----------------------------------------------------------------------------

    def _add_order(self, params: Mapping[str, str], now: datetime) -> dict[str, Any]:
        request = parse_add_order(self.markets, params)
        _check_deadline(request, now)
        if request.validate:
            self._matcher.check(request, ns_of(now))
            return {"descr": {"order": _describe(request)["order"]}}
        order = self._matcher.place(request, ns_of(now))
        descr = order.descr(request.pair)
        descr.pop("close")
        return {"descr": descr, "txid": [order.txid]}

    def cancel_targets(self, params: Mapping[str, str]) -> list[Order]:
        """The open orders a CancelOrder with these parameters cancels (none: ``[]``).

        ``txid`` is a comma list of order ids or userrefs (a userref cancels every order carrying
        it); ``cl_ord_id`` names one order by its client id. The trading-limit cost of a cancel
        is priced from the same list. Raises ``EGeneral:Invalid arguments:txid`` given neither.
        """
        txid, cl_ord_id = params.get("txid"), params.get("cl_ord_id")
        if not txid and not cl_ord_id:
            raise invalid("txid")
        wanted = set(names(txid)) - {"0"}
        with self._lock:
            return [
                order
                for order in self._matcher.open_orders()
                if (cl_ord_id is not None and order.cl_ord_id == cl_ord_id)
                or order.txid in wanted
                or str(order.userref) in wanted
            ]

    def _cancel_order(self, params: Mapping[str, str], now: datetime) -> dict[str, Any]:
        targets = self.cancel_targets(params)
        if not targets:
            raise SimError(UNKNOWN_ORDER)
        for order in targets:
            self._matcher.cancel(order, ns_to_time(ns_of(now)))
        return {"count": len(targets)}

    def _cancel_all(self, params: Mapping[str, str], now: datetime) -> dict[str, Any]:
        targets = self._matcher.open_orders()
        for order in targets:
            self._matcher.cancel(order, ns_to_time(ns_of(now)))
        return {"count": len(targets)}

    def _cancel_all_after(self, params: Mapping[str, str], now: datetime) -> dict[str, Any]:
        text = params.get("timeout", "")
        if not text.strip().isdigit() or int(text) > MAX_DEADMAN_TIMEOUT:
            raise invalid("timeout")
        timeout = int(text)
        if timeout == 0:
            self._state.deadman_trigger = None
            return {"currentTime": rfc3339(now), "triggerTime": "0"}
        trigger = ns_to_time(ns_of(now)) + timeout
        self._state.deadman_trigger = trigger
        when = datetime.fromtimestamp(float(trigger), tz=UTC)
        return {"currentTime": rfc3339(now), "triggerTime": rfc3339(when)}

    # --- WebSocket v2 items ------------------------------------------------------------------

    def ticker_v2(self, pair_key: str) -> dict[str, Any]:
        """A WS v2 ``ticker`` data item for one pair, now."""
        with self._lock:
            now = self.clock.now()
            now_ns = ns_of(now)
            pair = self.markets.get(pair_key)
            stats = self._public.day_stats(pair, now_ns)
            top = self._matcher.book(pair, now_ns)
            last = float(stats.last * pair.tick)
            opened = float(stats.full.open * pair.tick)
            change = last - opened
            return {
                "symbol": pair.ws_symbol or pair.altname,
                "bid": float(top.bids[0].price),
                "bid_qty": float(top.bids[0].volume),
                "ask": float(top.asks[0].price),
                "ask_qty": float(top.asks[0].volume),
                "last": last,
                "volume": float(stats.full.units * pair.lot),
                "vwap": float(stats.full.vwap) or last,
                "low": float(stats.full.low * pair.tick),
                "high": float(stats.full.high * pair.tick),
                "change": round(change, pair.pair_decimals),
                "change_pct": round(100 * change / opened, 2) if opened else 0.0,
                "timestamp": rfc3339(now, micros=True),
            }

    def ohlc_v2(self, pair_key: str, interval: int, at: datetime | None = None) -> dict[str, Any]:
        """The WS v2 ``ohlc`` data item of the candle of ``interval`` minutes running at ``at``
        (default: now), with the trades up to then."""
        if interval not in OHLC_INTERVALS:
            raise invalid("interval")
        with self._lock:
            now = self.clock.now() if at is None else at
            now_ns = ns_of(now)
            pair = self.markets.get(pair_key)
            begin = (now_ns // (60 * NS) // interval) * interval
            row = self._prices.candles(pair, begin, now_ns).aggregate(interval)
            units = int(row.units[0])
            return {
                "symbol": pair.ws_symbol or pair.altname,
                "open": float(int(row.open[0]) * pair.tick),
                "high": float(int(row.high[0]) * pair.tick),
                "low": float(int(row.low[0]) * pair.tick),
                "close": float(int(row.close[0]) * pair.tick),
                "vwap": float(vwap(pair, row.pv[0], units)),
                "volume": float(units * pair.lot),
                "trades": int(row.count[0]),
                "interval": interval,
                "interval_begin": datetime.fromtimestamp(begin * 60, tz=UTC).strftime(
                    "%Y-%m-%dT%H:%M:%S.000000000Z"
                ),
                "timestamp": rfc3339(now, micros=True),
            }

    def executions_snapshot(self, *, orders: bool, trades: bool) -> tuple[list[Item], int]:
        """The ``executions`` snapshot and the cursor its updates start from (atomically)."""
        with self._locked():
            return self._feed.snapshot(orders=orders, trades=trades), self._feed.count

    def executions_since(self, cursor: int) -> tuple[list[Item], int]:
        """The ``executions`` events after ``cursor`` and the next cursor."""
        with self._lock:
            return self._feed.since(cursor)

    def orders_by_cl_ord_id(self) -> dict[str, int]:
        """How many orders, open or closed, the exchange holds for each client id."""
        with self._lock:
            counts: dict[str, int] = {}
            for order in self._state.orders.values():
                if order.cl_ord_id is not None:
                    counts[order.cl_ord_id] = counts.get(order.cl_ord_id, 0) + 1
            return counts

    def minute_candles(self, pair_key: str, start_minute: int, now_ns: int) -> Candles:
        """1-minute candles (ticks and lots) from ``start_minute`` to the minute of ``now_ns``."""
        with self._lock:
            return self._prices.candles(self.markets.get(pair_key), start_minute, now_ns)

    # --- operator helpers --------------------------------------------------------------------

    def deposit(self, asset: str, amount: Decimal) -> str:
        """Credit ``amount`` of ``asset`` (a "deposit" ledger row); return the ledger id."""
        return self._fund(asset, amount, "deposit")

    def withdraw(self, asset: str, amount: Decimal) -> str:
        """Debit ``amount`` (a "withdrawal" row); refuses more than is available."""
        return self._fund(asset, -amount, "withdrawal")

    def reward(self, asset: str, amount: Decimal) -> str:
        """A staking reward: a "staking" row on the staked variant (``DOT`` → ``DOT.S``)."""
        if not asset.endswith(STAKED_SUFFIXES):
            key = self.markets.asset_key(asset)
            asset = f"{self.markets.assets[key].get('altname', key)}.S"
        return self._fund(asset, amount, "staking")

    def _fund(self, asset: str, amount: Decimal, kind: str) -> str:
        if (amount < 0) != (kind == "withdrawal") or amount == 0:
            raise invalid("amount")
        with self._locked():
            key = asset if asset.endswith(STAKED_SUFFIXES) else self.markets.asset_key(asset)
            self._step(ns_of(self.clock.now()))
            ledger_id = self._account.fund(key, amount, kind, ns_to_time(ns_of(self.clock.now())))
            self._dirty = True
            return ledger_id

    def adjust_balance_silently(self, asset: str, amount: Decimal) -> None:
        """Move funds WITHOUT a ledger row, so the bot's drift detection has something to find."""
        with self._locked():
            key = asset if asset.endswith(STAKED_SUFFIXES) else self.markets.asset_key(asset)
            self._account.adjust_silently(key, amount)
            self._dirty = True

    def place_manual_order(
        self,
        pair: str,
        side: str,
        ordertype: str,
        volume: Decimal,
        price: Decimal | None = None,
    ) -> str:
        """An order "someone else" placed by hand (same path as AddOrder); return its txid."""
        params = {"pair": pair, "type": side, "ordertype": ordertype, "volume": str(volume)}
        if price is not None:
            params["price"] = str(price)
        result = self.private("AddOrder", params)
        return str(result["txid"][0])

    # --- persistence -------------------------------------------------------------------------

    # Changes are written at most every SAVE_INTERVAL_SECONDS (the first change after a quiet
    # spell at once), and always by ``save``/``close``; SandboxExchange.stop and ``krakked sim``
    # on SIGTERM/SIGINT call it. A crash loses at most the last interval. The snapshot is taken
    # under the exchange lock, but serialised and written (temp file, fsync, rename) outside it.

    def save(self) -> None:
        """Write the state file now (atomically) if anything changed since the last write."""
        with self._lock:
            pending = self._snapshot(force=True)
        self._write(pending, raise_errors=True)

    def close(self) -> None:
        """Flush the state file; the exchange may still be used afterwards."""
        self.save()

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold the exchange lock; once it is released, write the state file if a save is due."""
        pending: _Snapshot | None = None
        try:
            with self._lock:
                try:
                    yield
                finally:
                    self._feed.observe()
                    pending = self._snapshot(force=False)
        finally:
            self._write(pending, raise_errors=False)

    def _snapshot(self, *, force: bool) -> "_Snapshot | None":
        """The state to write, if it changed and (unless ``force``) the interval has passed."""
        if not self._dirty or self.settings.state_file is None:
            return None
        now = time.monotonic()
        if not force and now - self._last_save < SAVE_INTERVAL_SECONDS:
            return None
        self._dirty, self._last_save = False, now
        self._generation += 1
        return _Snapshot(self._generation, self._state.to_json())

    def _write(self, pending: "_Snapshot | None", *, raise_errors: bool) -> None:
        path = self.settings.state_file
        if pending is None or path is None:
            return
        with self._save_lock:
            if pending.generation <= self._written_generation:
                return  # a newer snapshot is already on disk
            try:
                write_state(pending.data, path)
            except OSError:
                # Try again with the next save. Not under ``_lock``: a nested ``_locked`` may be
                # waiting here for ``_save_lock`` while holding it.
                self._dirty = True
                if raise_errors:
                    raise
                log.exception("sandbox state file not written", extra={"path": str(path)})
                return
            self._written_generation = pending.generation
            self.saves_written += 1

    def _history_start(self) -> int:
        return self._state.created_at - self.settings.history_days * 86_400

    @property
    def state(self) -> ExchangeState:
        """The live state, for tests and tools (hold no reference across calls that change it)."""
        return self._state

    @property
    def created_at(self) -> datetime:
        return datetime.fromtimestamp(self._state.created_at, tz=UTC)

    @property
    def history_start(self) -> datetime:
        return datetime.fromtimestamp(self._history_start(), tz=UTC)


def _check_deadline(request: OrderRequest, now: datetime) -> None:
    """Refuse a deadline more than a minute ahead, and an order arriving after its deadline."""
    if request.deadline is None:
        return
    if request.deadline > now + MAX_DEADLINE_AHEAD:
        raise invalid("deadline")
    if request.deadline <= now:
        raise SimError(DEADLINE_ELAPSED)


def _describe(request: OrderRequest) -> dict[str, str]:
    scratch = request.to_order()
    return scratch.descr(request.pair)
