"""``MarketGateway`` over Kraken's public REST endpoints (or the sandbox exchange's)."""

from collections.abc import Sequence
from typing import Any, Protocol

from krakked_core.clock import Clock
from krakked_core.connection.intervals import KRAKEN_INTERVAL, OHLC_WINDOW_ROWS
from krakked_core.connection.parsers.market import (
    parse_asset_pairs,
    parse_assets,
    parse_ohlc,
    parse_ticker,
    parse_trades,
)
from krakked_core.model.market import BarPage, TickerSnapshot, Timeframe, TradePage
from krakked_core.model.pairs import ListedPair, PairMetadata


class PublicClient(Protocol):
    """The raw public endpoints the gateway calls (``connection.KrakenRestClient`` has them)."""

    def server_time(self) -> Any: ...

    def assets(self) -> Any: ...

    def asset_pairs(self, pairs: Sequence[str] | None = None) -> Any: ...

    def ticker(self, pairs: Sequence[str]) -> Any: ...

    def ohlc(self, pair: str, interval: int, since: int | None = None) -> Any: ...

    def trades(
        self, pair: str, since: int | str | None = None, count: int | None = None
    ) -> Any: ...


class KrakenMarketGateway:
    """Kraken's public market data as domain values; one REST call per method call.

    A reply that is not the shape of its endpoint raises TypeError / ValueError; malformed
    entries of a reply are skipped and logged by the parsers. Venue failures are the typed
    VenueErrors of the client. ``clock`` stamps the ticker snapshots.
    """

    bars_window = OHLC_WINDOW_ROWS

    def __init__(self, client: PublicClient, clock: Clock) -> None:
        self._client = client
        self._clock = clock

    def check_reachable(self) -> None:
        self._client.server_time()

    def listed_pairs(self) -> list[ListedPair]:
        asset_names = parse_assets(self._client.assets())
        return parse_asset_pairs(self._client.asset_pairs(), asset_names)

    def tickers(self, pairs: Sequence[PairMetadata]) -> dict[str, TickerSnapshot]:
        result = self._client.ticker([pair.rest_symbol for pair in pairs])
        now = self._clock.now()
        # Kraken keys Ticker by the raw (legacy) name, newer pairs by their altname.
        by_name = {name: pair for pair in pairs for name in (pair.rest_symbol, pair.raw_name)}
        snapshots: dict[str, TickerSnapshot] = {}
        for name, stats in parse_ticker(result).items():
            pair = by_name.get(name)
            if pair is not None:
                snapshots[pair.canonical] = TickerSnapshot(
                    pair=pair.canonical,
                    bid=stats.bid,
                    ask=stats.ask,
                    last=stats.last,
                    volume_24h=stats.volume_24h,
                    vwap_24h=stats.vwap_24h,
                    updated_at=now,
                )
        return snapshots

    def bars(self, pair: str, timeframe: Timeframe, since: int | None = None) -> BarPage:
        return parse_ohlc(self._client.ohlc(pair, KRAKEN_INTERVAL[timeframe], since=since))

    def trades(self, pair: str, since: int | str | None = None) -> TradePage:
        return parse_trades(self._client.trades(pair, since=since))
