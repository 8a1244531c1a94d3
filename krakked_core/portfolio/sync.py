"""Ingestion: pull the account's history into the store, page by page, from a high-water mark.

Each stream (closed orders, trades, ledger) is read newest first with ``ofs`` until ``count`` is
reached, from ``start`` = the stream's high-water mark minus a small overlap. Every page is
stored as it arrives, idempotently on Kraken's ids (ledger rows together with their cash flows, in
one transaction). The mark moves only after the whole stream was read (an empty page before
``count``, or the page guard, leaves it where it was); never past a row that could not be parsed;
and never past a row held back because its price at its own time is not final yet (its candle is
still forming): a later sync stores that row, priced from the closed candle. So overlapping
pages, a repeated sync, or a sync killed half-way and run again store each row exactly once and
lose none.
"""

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Generic, TypeVar

from krakked_core.clock import Clock
from krakked_core.errors import PriceNotFinalError
from krakked_core.model.account import AccountBalances, LedgerEntry, Page, TradeFill
from krakked_core.portfolio.assets import root
from krakked_core.portfolio.cashflows import is_cash_flow, to_cash_flows
from krakked_core.portfolio.models import CashFlowRecord
from krakked_core.portfolio.store import PortfolioStore
from krakked_core.portfolio.valuation import EventPrices
from krakked_core.ports import AccountSource

logger = logging.getLogger(__name__)

T = TypeVar("T")
# Re-read this much before the mark: Kraken's ``start`` is exclusive and times are fractional.
OVERLAP = timedelta(seconds=1)
MAX_PAGES = 100_000  # a guard against an endpoint whose count never comes true
TICK = timedelta(microseconds=1)


@dataclass(frozen=True)
class Ingested:
    """What one ingestion pass stored for the first time, and the balances it read."""

    trade_ids: list[str]
    ledger_ids: list[str]
    cash_flow_ids: list[str]
    order_ids: list[str]
    balances: AccountBalances
    # What rows held back (price not final yet) did to balances, per asset: ``Balance`` already
    # shows it, the books will once a later sync stores them.
    pending: dict[str, Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class _Stored:
    """What storing one page did: the ids new to the store, and when the held-back rows were."""

    new_ids: list[str]
    held: list[datetime] = field(default_factory=list)


class Ingestor:
    """Reads the account through an ``AccountSource`` and stores what is new."""

    def __init__(
        self, source: AccountSource, store: PortfolioStore, clock: Clock, prices: EventPrices
    ) -> None:
        self._source = source
        self._store = store
        self._clock = clock
        self._prices = prices
        self._pending: dict[str, Decimal] = {}

    def run(self) -> Ingested:
        self._pending = {}
        order_ids = self._stream(
            "orders",
            self._source.closed_orders_page,
            lambda items: _Stored(self._store.orders.append_exchange_orders(items)),
        )
        trade_ids = self._stream("trades", self._source.trades_page, self._store_trades)
        cash_flow_ids: list[str] = []

        def store_ledger(entries: tuple[LedgerEntry, ...]) -> _Stored:
            stored, new_flows = self._store_ledger(entries)
            cash_flow_ids.extend(new_flows)
            return stored

        ledger_ids = self._stream("ledgers", self._source.ledger_page, store_ledger)
        # Balances last: they should already reflect everything the history just said.
        balances = self._source.balances()
        pending = {asset: qty for asset, qty in self._pending.items() if qty != 0}
        return Ingested(trade_ids, ledger_ids, cash_flow_ids, order_ids, balances, pending)

    def _stream(
        self,
        name: str,
        fetch: Callable[..., Page[T]],
        store: Callable[[tuple[T, ...]], _Stored],
    ) -> list[str]:
        mark = self._store.state.get_mark(name)
        start = mark - OVERLAP if mark is not None else None
        new_ids: list[str] = []
        newest = mark
        hold = _Hold()
        pages = _Pages(name, fetch, start)
        for page in pages:
            stored = store(page.items)
            new_ids.extend(stored.new_ids)
            hold.add(page)
            hold.defer(stored.held)
            for item in page.items:
                when = _time_of(item)
                if when is not None and (newest is None or when > newest):
                    newest = when
        # Rows never read may lie anywhere below ``newest``: an incomplete read moves nothing.
        newest = hold.limit(name, newest, mark) if pages.complete else mark
        if newest is not None and newest != mark:
            self._store.state.set_mark(name, newest, self._clock.now())
        logger.info("synced %s: %d new", name, len(new_ids), extra={"stream": name})
        return new_ids

    def _store_trades(self, fills: tuple[TradeFill, ...]) -> _Stored:
        # Price the quote when the trade happened (stored with it, so replays agree).
        new = self._store.history.missing_ids("trades", (f.trade_id for f in fills))
        quote_usd: dict[str, Decimal | None] = {}
        held: list[TradeFill] = []
        for fill in (f for f in fills if f.trade_id in new):
            try:
                quote_usd[fill.trade_id] = self._prices.price_at(fill.quote, fill.time)
            except PriceNotFinalError:
                held.append(fill)
        for fill in held:
            sign = 1 if fill.side == "buy" else -1
            self._hold_back(fill.base, sign * fill.volume)
            self._hold_back(fill.quote, -sign * fill.cost - fill.fee)
        kept = [f for f in fills if f not in held]
        new_ids = self._store.history.append_trades(kept, quote_usd, self._clock.now())
        return _Stored(new_ids, [f.time for f in held])

    def _store_ledger(self, entries: tuple[LedgerEntry, ...]) -> tuple[_Stored, list[str]]:
        """Store the rows and the cash flows of every non-trade row in one transaction.

        Cash flows come from every non-trade row on the page, not only rows new to the store:
        appending them is idempotent, and a row stored without its cash flow (by a sync killed
        under an older version) still gets it. A row whose value at its time is not final yet
        is not stored at all (nor its cash flow) until a later sync.
        """
        new_rows = self._store.history.missing_ids("ledger", (e.ledger_id for e in entries))
        unbooked = self._store.history.missing_ids(
            "cash_flows", (e.ledger_id for e in entries if is_cash_flow(e))
        )
        fee_usd: dict[str, Decimal | None] = {}
        records: list[CashFlowRecord] = []
        held: list[LedgerEntry] = []
        for entry in entries:
            try:
                if entry.ledger_id in new_rows and entry.kind == "trade" and entry.fee != 0:
                    # A trade's fee in a third asset: priced at the trade's time (base/quote fees
                    # use the trade's own price when the books apply it).
                    fee_usd[entry.ledger_id] = self._prices.fee_value_at(
                        entry.asset, entry.fee, entry.time
                    )
                if entry.ledger_id in unbooked:
                    records.extend(to_cash_flows([entry], self._prices.value_at))
            except PriceNotFinalError:
                held.append(entry)
                if is_cash_flow(entry):
                    self._hold_back(entry.asset, entry.amount - entry.fee)
        kept = [e for e in entries if e not in held]
        new_ids, new_flows = self._store.history.append_ledger_page(
            kept, fee_usd, records, self._clock.now()
        )
        return _Stored(new_ids, [e.time for e in held]), new_flows

    def _hold_back(self, asset: str, delta: Decimal) -> None:
        asset = root(asset)
        self._pending[asset] = self._pending.get(asset, Decimal(0)) + delta


class _Hold:
    """Rows a page left out (unparseable) or held back (price not final yet): the mark must stay
    before the oldest of them."""

    def __init__(self) -> None:
        self.before: datetime | None = None
        self.unknown = 0  # left-out rows whose time is unknown: the mark cannot move at all
        self.count = 0  # unreadable rows
        self.held = 0  # rows waiting for their price to be final

    def add(self, page: Page[T]) -> None:
        self.count += page.skipped
        self.unknown += page.skipped - sum(1 for t in page.skipped_times if t is not None)
        self._keep_before(page.skipped_times)

    def defer(self, times: list[datetime]) -> None:
        self.held += len(times)
        self._keep_before(times)

    def _keep_before(self, times: tuple[datetime | None, ...] | list[datetime]) -> None:
        for when in times:
            if when is not None and (self.before is None or when < self.before):
                self.before = when

    def limit(self, name: str, newest: datetime | None, mark: datetime | None) -> datetime | None:
        if not self.count and not self.held:
            return newest
        if self.unknown:
            limited = mark
        else:
            assert self.before is not None
            limited = min(newest, self.before - TICK) if newest is not None else None
        where = limited.isoformat() if limited else "the start"
        if self.held:
            logger.info(
                "%s: %d row(s) wait for their price to be final; the high-water mark stays at %s",
                name,
                self.held,
                where,
                extra={"stream": name, "held": self.held},
            )
        if self.count:
            logger.error(
                "%s: %d row(s) could not be read; the high-water mark stays at %s so they are "
                "read again next sync",
                name,
                self.count,
                where,
                extra={"stream": name, "unreadable": self.count},
            )
        return limited


class _Pages(Generic[T]):
    """The pages of one stream from ``start``; ``complete`` once ``count`` rows were read."""

    def __init__(self, name: str, fetch: Callable[..., Page[T]], start: datetime | None) -> None:
        self._name = name
        self._fetch = fetch
        self._start = start
        self.complete = False

    def __iter__(self) -> Iterator[Page[T]]:
        offset, count = 0, 0
        for _ in range(MAX_PAGES):
            page = self._fetch(offset=offset, start=self._start)
            yield page
            read = len(page.items) + page.skipped
            offset, count = offset + read, page.count
            if offset >= count:
                self.complete = True
                return
            if read == 0:
                break
        logger.error(
            "%s: paging stopped after %d of %d rows; the high-water mark stays where it was",
            self._name,
            offset,
            count,
            extra={"stream": self._name, "read": offset, "count": count},
        )


def _time_of(item: object) -> datetime | None:
    for name in ("time", "closed_at", "opened_at"):
        value = getattr(item, name, None)
        if isinstance(value, datetime):
            return value
    return None
