"""Ingestion: pull the account's history into the store, page by page, from a high-water mark.

Each stream (closed orders, trades, ledger) is read newest first with ``ofs`` until ``count`` is
reached, from ``start`` = the stream's high-water mark minus a small overlap. Every page is
stored as it arrives, idempotently on Kraken's ids; the mark moves only after the whole stream
was read. So overlapping pages, a repeated sync, or a sync killed half-way and run again store
each row exactly once and lose none.
"""

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TypeVar

from krakked_core.clock import Clock
from krakked_core.model.account import AccountBalances, LedgerEntry, Page, TradeFill
from krakked_core.portfolio.cashflows import is_cash_flow, to_cash_flows
from krakked_core.portfolio.store import PortfolioStore
from krakked_core.portfolio.valuation import Prices
from krakked_core.ports import AccountSource

logger = logging.getLogger(__name__)

T = TypeVar("T")
# Re-read this much before the mark: Kraken's ``start`` is exclusive and times are fractional.
OVERLAP = timedelta(seconds=1)
MAX_PAGES = 100_000  # a guard against an endpoint whose count never comes true


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
        self, source: AccountSource, store: PortfolioStore, clock: Clock, prices: Prices
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
        ledger_ids: list[str] = []
        cash_flow_ids: list[str] = []

        def store_ledger(entries: tuple[LedgerEntry, ...]) -> list[str]:
            new = self._store_ledger(entries)
            ledger_ids.extend(new)
            fresh = [e for e in entries if e.ledger_id in set(new) and is_cash_flow(e)]
            records = to_cash_flows(fresh, self._prices.value)
            cash_flow_ids.extend(self._store.append_cash_flows(records))
            return new

        self._stream("ledgers", self._source.ledger_page, store_ledger)
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
        for page in _pages(fetch, start):
            new_ids.extend(store(page.items))
            for item in page.items:
                when = _time_of(item)
                if when is not None and (newest is None or when > newest):
                    newest = when
        if newest is not None and newest != mark:
            self._store.set_mark(name, newest, self._clock.now())
        logger.info("synced %s: %d new", name, len(new_ids), extra={"stream": name})
        return new_ids

    def _store_trades(self, fills: tuple[TradeFill, ...]) -> list[str]:
        quote_usd = {f.trade_id: self._prices.price(f.quote) for f in fills}
        return self._store.append_trades(fills, quote_usd, self._clock.now())

    def _store_ledger(self, entries: tuple[LedgerEntry, ...]) -> list[str]:
        # A trade's fee in some third asset is priced now; base/quote fees use the trade's price.
        fee_usd: dict[str, Decimal | None] = {
            e.ledger_id: self._prices.value(e.asset, e.fee)
            for e in entries
            if e.type == "trade" and e.fee != 0
        }
        return self._store.append_ledger_entries(entries, fee_usd, self._clock.now())


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
