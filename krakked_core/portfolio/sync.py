"""Ingestion: pull the account's history into the store, page by page, from a high-water mark.

Each stream (closed orders, trades, ledger) is read newest first with ``ofs`` until ``count`` is
reached, from ``start`` = the stream's high-water mark minus a small overlap. Every page is
stored as it arrives, idempotently on Kraken's ids (ledger rows together with their cash flows, in
one transaction); the mark moves only after the whole stream was read, and never past a row that
could not be parsed. So overlapping pages, a repeated sync, or a sync killed half-way and run
again store each row exactly once and lose none.
"""

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from krakked_core.clock import Clock
from krakked_core.model.account import AccountBalances, LedgerEntry, Page, TradeFill
from krakked_core.portfolio.cashflows import is_cash_flow, to_cash_flows
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


class Ingestor:
    """Reads the account through an ``AccountSource`` and stores what is new."""

    def __init__(
        self, source: AccountSource, store: PortfolioStore, clock: Clock, prices: EventPrices
    ) -> None:
        self._source = source
        self._store = store
        self._clock = clock
        self._prices = prices

    def run(self) -> Ingested:
        order_ids = self._stream(
            "orders", self._source.closed_orders_page, self._store.append_exchange_orders
        )
        trade_ids = self._stream("trades", self._source.trades_page, self._store_trades)
        cash_flow_ids: list[str] = []

        def store_ledger(entries: tuple[LedgerEntry, ...]) -> list[str]:
            new_rows, new_flows = self._store_ledger(entries)
            cash_flow_ids.extend(new_flows)
            return new_rows

        ledger_ids = self._stream("ledgers", self._source.ledger_page, store_ledger)
        # Balances last: they should already reflect everything the history just said.
        balances = self._source.balances()
        return Ingested(trade_ids, ledger_ids, cash_flow_ids, order_ids, balances)

    def _stream(
        self,
        name: str,
        fetch: Callable[..., Page[T]],
        store: Callable[[tuple[T, ...]], list[str]],
    ) -> list[str]:
        mark = self._store.get_mark(name)
        start = mark - OVERLAP if mark is not None else None
        new_ids: list[str] = []
        newest = mark
        hold = _Hold()
        for page in _pages(fetch, start):
            new_ids.extend(store(page.items))
            hold.add(page)
            for item in page.items:
                when = _time_of(item)
                if when is not None and (newest is None or when > newest):
                    newest = when
        newest = hold.limit(name, newest, mark)
        if newest is not None and newest != mark:
            self._store.set_mark(name, newest, self._clock.now())
        logger.info("synced %s: %d new", name, len(new_ids), extra={"stream": name})
        return new_ids

    def _store_trades(self, fills: tuple[TradeFill, ...]) -> list[str]:
        # Price the quote when the trade happened (stored with it, so replays agree).
        new = self._store.missing_ids("trades", (f.trade_id for f in fills))
        quote_usd = {
            f.trade_id: self._prices.price_at(f.quote, f.time) for f in fills if f.trade_id in new
        }
        return self._store.append_trades(fills, quote_usd, self._clock.now())

    def _store_ledger(self, entries: tuple[LedgerEntry, ...]) -> tuple[list[str], list[str]]:
        """Store the rows and the cash flows of every non-trade row in one transaction.

        Cash flows come from every non-trade row on the page, not only rows new to the store:
        appending them is idempotent, and a row stored without its cash flow (by a sync killed
        under an older version) still gets it.
        """
        new_rows = self._store.missing_ids("ledger", (e.ledger_id for e in entries))
        # A trade's fee in a third asset: priced at the trade's time (base/quote fees use the
        # trade's own price when the books apply it).
        fee_usd = {
            e.ledger_id: self._prices.fee_value_at(e.asset, e.fee, e.time)
            for e in entries
            if e.ledger_id in new_rows and e.type == "trade" and e.fee != 0
        }
        flows = [e for e in entries if is_cash_flow(e)]
        unbooked = self._store.missing_ids("cash_flows", (e.ledger_id for e in flows))
        records = to_cash_flows(
            (e for e in flows if e.ledger_id in unbooked), self._prices.value_at
        )
        return self._store.append_ledger_page(entries, fee_usd, records, self._clock.now())


class _Hold:
    """Rows a page left out (unparseable): the mark must stay before the oldest of them."""

    def __init__(self) -> None:
        self.before: datetime | None = None
        self.unknown = 0  # left-out rows whose time is unknown: the mark cannot move at all
        self.count = 0

    def add(self, page: Page[T]) -> None:
        self.count += page.skipped
        self.unknown += page.skipped - sum(1 for t in page.skipped_times if t is not None)
        for when in page.skipped_times:
            if when is not None and (self.before is None or when < self.before):
                self.before = when

    def limit(self, name: str, newest: datetime | None, mark: datetime | None) -> datetime | None:
        if not self.count:
            return newest
        if self.unknown:
            limited = mark
        else:
            assert self.before is not None
            limited = min(newest, self.before - TICK) if newest is not None else None
        logger.error(
            "%s: %d row(s) could not be read; the high-water mark stays at %s so they are "
            "read again next sync",
            name,
            self.count,
            limited.isoformat() if limited else "the start",
            extra={"stream": name, "unreadable": self.count},
        )
        return limited


def _pages(fetch: Callable[..., Page[T]], start: datetime | None) -> Iterator[Page[T]]:
    offset = 0
    for _ in range(MAX_PAGES):
        page = fetch(offset=offset, start=start)
        yield page
        read = len(page.items) + page.skipped
        offset += read
        if read == 0 or offset >= page.count:
            return
    logger.error("gave up paging after %d pages", MAX_PAGES)


def _time_of(item: object) -> datetime | None:
    for name in ("time", "closed_at", "opened_at"):
        value = getattr(item, name, None)
        if isinstance(value, datetime):
            return value
    return None
