"""The boundaries of the domain in one place: each area depends on these, not on adapters.

Implementations: the Kraken adapter (connection/), the sandbox exchange (sim/), the app DB, and
fakes in tests/fakes. Areas add the ports they need here.
"""

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from krakked_core.model.account import (
    AccountBalances,
    CancelAck,
    DeadMansSwitch,
    ExchangeOrder,
    LedgerEntry,
    OrderAck,
    Page,
    TradeFill,
)
from krakked_core.model.market import Bar, BarPage, DataStatus, TickerSnapshot, Timeframe, TradePage
from krakked_core.model.orders import ExecutionMode, OrderSubmission, OrderUpdate
from krakked_core.model.pairs import ListedPair, PairMetadata


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


class MarketGateway(Protocol):
    """The venue's public market data as domain values (Kraken's REST adapter in
    ``connection.market_gateway``, against Kraken or the sandbox exchange; fakes in tests).

    Pairs are named by their canonical (REST) symbol. Failures are the typed VenueErrors; a
    reply of the wrong shape raises TypeError or ValueError.
    """

    def check_reachable(self) -> None:
        """Return once the venue answered at all."""
        ...

    def listed_pairs(self) -> list[ListedPair]:
        """Every pair listed, of every quote and status."""
        ...

    def tickers(self, pairs: Sequence[PairMetadata]) -> dict[str, TickerSnapshot]:
        """Snapshots keyed by canonical pair, for those of ``pairs`` the venue answered for."""
        ...

    @property
    def bars_window(self) -> int:
        """How many of the newest candles of a timeframe ``bars`` reaches (older: ``trades``)."""
        ...

    def bars(self, pair: str, timeframe: Timeframe, since: int | None = None) -> BarPage:
        """Candles from ``since`` (epoch seconds) on, as far as one reply reaches."""
        ...

    def trades(self, pair: str, since: int | str | None = None) -> TradePage:
        """Public trades from ``since`` (or the page's cursor) on, one page."""
        ...


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
    """The account's history and balances as domain values (Kraken's adapter in
    ``connection.account_source``, against Kraken or the sandbox; fakes in tests).

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


class ExecutionGateway(Protocol):
    """Where orders go: Kraken's REST (live, the sandbox in the demo), the paper fill simulator,
    or nowhere (dry run). Chosen only in the composition root; the OMS never asks which.

    ``place`` raises ``RejectedError`` for a definite refusal (final, never retried),
    ``TemporaryVenueError`` when the order was definitely not taken (retry with backoff), and
    ``OrderOutcomeUnknown`` when it may have been: the OMS then looks it up by ``cl_ord_id``
    and never resends blindly.
    """

    @property
    def mode(self) -> ExecutionMode: ...

    def place(self, order: OrderSubmission) -> OrderAck: ...

    def cancel(
        self, *, kraken_order_id: str | None = None, cl_ord_id: str | None = None
    ) -> CancelAck:
        """Cancel one order by exactly one of its ids."""
        ...

    def cancel_all(self) -> CancelAck: ...

    def open_orders(self, *, cl_ord_id: str | None = None) -> list[ExchangeOrder]:
        """Every open order (or the one tagged ``cl_ord_id``)."""
        ...

    def closed_orders(
        self, *, start: datetime, cl_ord_id: str | None = None
    ) -> list[ExchangeOrder]:
        """Orders closed since ``start`` (every page), or those tagged ``cl_ord_id``."""
        ...

    def arm_dead_man_switch(self, timeout_seconds: int) -> DeadMansSwitch:
        """Re-arm the exchange's cancel-all timer (0 disarms); a no-op where nothing rests."""
        ...


class OrderUpdateSink(Protocol):
    """Takes the exchange's word on orders into the OMS's store (the sidecar's executions feed
    and REST reconciliation both write through it). Idempotent: a fill already recorded under
    its ``exec_id`` is not recorded again; an update for an order the OMS never wrote is
    recorded as unknown and reported, never dropped.
    """

    def apply(self, update: OrderUpdate) -> None: ...
