"""The boundaries of the domain in one place: each area depends on these, not on adapters.

Implementations: the Kraken adapter (connection/), the sandbox exchange (sim/), the app DB, and
fakes in tests/fakes. Areas add the ports they need here.
"""

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from krakked_core.model.account import AccountBalances, ExchangeOrder, LedgerEntry, Page, TradeFill
from krakked_core.model.market import Bar, DataStatus, TickerSnapshot, Timeframe


class PriceSource(Protocol):
    """Current prices for valuation; raises DataStaleError / DataUnavailableError, never guesses."""

    def get_latest_price(self, pair: str) -> Decimal:
        """The last trade price of a canonical pair (e.g. ``XBTUSD``)."""
        ...


class CandleSource(Protocol):
    """Closed candles for strategies and risk (``MarketDataAPI``, a backtest replay, a fake).

    Raises InsufficientDataError when fewer than ``lookback`` closed bars exist and
    UnknownPairError for a pair it does not know; never returns the forming bar.
    """

    def get_ohlc(self, pair: str, timeframe: Timeframe, lookback: int) -> list[Bar]:
        """The newest ``lookback`` closed bars of ``pair``, oldest first."""
        ...


class PublicMarketClient(Protocol):
    """Kraken's public market-data endpoints, returning each endpoint's raw ``result``.

    Implemented by ``connection.KrakenRestClient`` (against Kraken or the sandbox exchange).
    """

    def assets(self) -> Any: ...

    def asset_pairs(self, pairs: Sequence[str] | None = None) -> Any: ...

    def ticker(self, pairs: Sequence[str]) -> Any: ...

    def ohlc(self, pair: str, interval: int, since: int | None = None) -> Any: ...

    def trades(
        self, pair: str, since: int | str | None = None, count: int | None = None
    ) -> Any: ...


class LiveMarketData(Protocol):
    """What the sidecar published to the app DB (implemented by ``market_data.LiveStore``).

    Reads raise DataStaleError past the staleness tolerance and DataUnavailableError before any
    data arrived.
    """

    def latest_ticker(self, pair: str) -> TickerSnapshot: ...

    def live_bar(self, pair: str, timeframe: Timeframe) -> Bar: ...

    def closed_bars_since(self, pair: str, timeframe: Timeframe, since_ts: int) -> list[Bar]: ...

    def data_status(self) -> DataStatus: ...


class AccountSource(Protocol):
    """The account's history and balances as domain values (Kraken adapter or the sandbox).

    History pages come newest first, ``offset`` rows in, from ``start`` (exclusive) when given;
    ``Page.count`` is the total the query matches. Failures are the typed VenueErrors.
    """

    def trades_page(self, *, offset: int, start: datetime | None) -> Page[TradeFill]: ...

    def ledger_page(self, *, offset: int, start: datetime | None) -> Page[LedgerEntry]: ...

    def closed_orders_page(self, *, offset: int, start: datetime | None) -> Page[ExchangeOrder]: ...

    def balances(self) -> AccountBalances: ...


class HistoricalPriceSource(Protocol):
    """A pair's price at a past moment, for valuing events when they happened.

    ``None`` when no price for that moment is known (unknown pair, too old); temporary venue
    failures raise the typed VenueErrors so the caller retries rather than records a gap.
    """

    def price_at(self, pair: str, at: datetime) -> Decimal | None: ...
