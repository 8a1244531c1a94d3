"""A venue in memory behind ``ports.MarketGateway``, and the Dagster resource that vends it."""

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal

from krakked_core.model.market import (
    TIMEFRAME_SECONDS,
    Bar,
    BarPage,
    TickerSnapshot,
    Timeframe,
    TradePage,
)
from krakked_core.model.pairs import ListedPair, PairMetadata
from krakked_core.ports import MarketGateway
from krakked_pipeline.resources import MarketGatewayResource
from tests.fakes.pairs import usd_pair

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


class ListedUsdPairs:
    """A flat market listing ``<base>USD`` spot pairs: every pair trades ``volume_24h`` units a
    day at ``price``, its candles are flat at that price, and it reports no public trades.
    """

    bars_window = 720  # as Kraken's OHLC: the newest 720 candles of a timeframe

    def __init__(self, bases: Sequence[str], price: Decimal, volume_24h: Decimal) -> None:
        self._pairs = [usd_pair(base) for base in bases]
        self._price, self._volume = price, volume_24h

    def check_reachable(self) -> None:
        return None

    def listed_pairs(self) -> list[ListedPair]:
        return [ListedPair(metadata=pair, spot=True, dark_pool=False) for pair in self._pairs]

    def tickers(self, pairs: Sequence[PairMetadata]) -> dict[str, TickerSnapshot]:
        spread = self._price / 1000
        return {
            pair.canonical: TickerSnapshot(
                pair=pair.canonical,
                bid=self._price - spread,
                ask=self._price + spread,
                last=self._price,
                volume_24h=self._volume,
                vwap_24h=self._price,
                updated_at=NOW,
            )
            for pair in pairs
        }

    def bars(self, pair: str, timeframe: Timeframe, since: int | None = None) -> BarPage:
        seconds = TIMEFRAME_SECONDS[timeframe]
        running = int(NOW.timestamp()) // seconds * seconds
        first = running - self.bars_window * seconds
        start = first if since is None else max(first, since // seconds * seconds)
        price, volume = float(self._price), float(self._volume) * seconds / 86400
        bars = [
            Bar(time=t, open=price, high=price, low=price, close=price, vwap=price,
                volume=volume, count=1)
            for t in range(start, running, seconds)
        ]  # fmt: skip
        return BarPage(bars=bars, running=None, last=running)

    def trades(self, pair: str, since: int | str | None = None) -> TradePage:
        return TradePage(trades=[], last=None if since is None else str(since))


class FakeMarket(MarketGatewayResource):
    """The pipeline's market gateway resource on a ``ListedUsdPairs`` venue."""

    bases: list[str]
    price: str = "100"
    volume_24h: str = "1000000"

    def gateway(self) -> MarketGateway:
        return ListedUsdPairs(self.bases, Decimal(self.price), Decimal(self.volume_24h))
