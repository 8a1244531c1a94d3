"""What the decision cycle reads of the portfolio and market data (``PortfolioService`` and
``MarketDataAPI`` satisfy these; tests wrap them to count calls), and the as-of candle view.
"""

from datetime import datetime
from decimal import Decimal
from typing import Protocol

from krakked_core.market_data.ohlc_store import timeframe_seconds
from krakked_core.model.market import Bar, DataStatus, Timeframe
from krakked_core.model.pairs import PairMetadata
from krakked_core.portfolio.models import (
    EquityView,
    PnLSummary,
    PortfolioSnapshot,
    Position,
    RealizedPnLRecord,
    SyncSummary,
)
from krakked_core.ports import CandleSource, LiveMarketData


class PortfolioReader(Protocol):
    """The portfolio as the decision cycle uses it (``PortfolioService``)."""

    def sync(self) -> SyncSummary: ...

    def get_equity(self) -> EquityView: ...

    def get_positions(self) -> list[Position]: ...

    def get_snapshots(
        self, since: datetime | None = None, limit: int | None = None
    ) -> list[PortfolioSnapshot]: ...

    def get_pnl_summary(
        self, period: str = "all", include_manual: bool | None = None
    ) -> PnLSummary: ...

    def get_trade_history(
        self, pair: str | None = None, limit: int | None = None, include_manual: bool | None = None
    ) -> list[RealizedPnLRecord]: ...


class MarketReader(CandleSource, Protocol):
    """Market data as the decision cycle uses it (``MarketDataAPI``)."""

    @property
    def live(self) -> LiveMarketData: ...

    def get_data_status(self) -> DataStatus: ...

    def get_universe_metadata(self) -> list[PairMetadata]: ...

    def get_latest_price(self, pair: str) -> Decimal: ...


class CycleCandles:
    """One cycle's candles: each pair's closed bars as they were at ``now``, read once.

    Bars that had not closed by ``now`` are never returned: ``MarketDataAPI`` already hides the
    forming bar by its own clock, and this also makes a cycle run "as of" a past close
    (``krakked cycle --at``) blind to every later bar. The longest history asked of a pair is
    kept, so the strategies and the ATR of one cycle share one read per pair.
    """

    def __init__(self, source: CandleSource, now: datetime) -> None:
        self._source = source
        self.now = now
        self._epoch = int(now.timestamp())
        self._read: dict[tuple[str, str], list[Bar]] = {}

    def get_ohlc(self, pair: str, timeframe: Timeframe, lookback: int) -> list[Bar]:
        kept = self._read.get((pair, timeframe))
        if kept is None or len(kept) < lookback:
            kept = self._closed(pair, timeframe, lookback)
            self._read[(pair, timeframe)] = kept
        return kept[-lookback:]

    def _closed(self, pair: str, timeframe: Timeframe, lookback: int) -> list[Bar]:
        seconds = timeframe_seconds(timeframe)
        want = lookback
        while True:  # ask again for as many more as were too late, until enough have closed
            closed = [
                bar
                for bar in self._source.get_ohlc(pair, timeframe, want)
                if bar.time + seconds <= self._epoch
            ]
            if len(closed) >= lookback:
                return closed[-lookback:]
            want += lookback - len(closed)
