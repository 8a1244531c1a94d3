"""``MarketDataAPI``: the contract §7 surface every other part of Krakked uses.

Universe and history come from the app DB and the Parquet store; live reads come from what the
sidecar published (``LiveMarketData``), so the API works the same in every process.

Errors, by method:

- ``get_universe``: DataUnavailableError when no universe was ever built (an empty universe
  after filtering is ``[]``).
- ``get_pair_metadata``: UnknownPairError when the pair is not in the universe.
- ``get_ohlc`` / ``get_ohlc_since``: UnknownPairError when the pair is neither in the universe
  nor has stored history; ``get_ohlc`` raises InsufficientDataError when fewer than
  ``lookback`` closed bars exist (it never returns fewer); ``get_ohlc_since`` returns whatever
  closed bars exist from ``since_ts`` on (possibly none). ValueError for an unknown timeframe.
- ``get_latest_price`` / ``get_best_bid_ask`` / ``get_live_ohlc``: DataStaleError past
  ``market_data.ws.stale_tolerance_seconds``, DataUnavailableError before any data.
- ``backfill_ohlc`` / ``refresh_universe``: the REST client's VenueErrors (rate limit, network,
  service unavailable) propagate as they are.
"""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Engine

from krakked_core.clock import Clock, SystemClock
from krakked_core.config import AppConfig
from krakked_core.connection import build_market_gateway
from krakked_core.db.server_clock import shared_clock
from krakked_core.errors import DataUnavailableError, InsufficientDataError, UnknownPairError
from krakked_core.market_data.backfill import (
    BackfillReport,
    OhlcBackfiller,
    RangeFillReport,
    fill_range,
)
from krakked_core.market_data.live_store import LiveStore
from krakked_core.market_data.ohlc_store import OhlcStore, timeframe_seconds
from krakked_core.market_data.universe import UniverseBuild, UniverseRepository, refresh_universe
from krakked_core.model.market import Bar, DataStatus, Timeframe
from krakked_core.model.pairs import PairMetadata
from krakked_core.paths import AppPaths
from krakked_core.ports import LiveMarketData, MarketGateway


class MarketDataAPI:
    """Universe, closed-candle history and live prices; also the ``PriceSource`` port."""

    def __init__(
        self,
        *,
        engine: Engine,
        market: MarketGateway,
        store: OhlcStore,
        live: LiveMarketData,
        config: AppConfig,
        clock: Clock,
        show_progress: bool | None = None,
    ) -> None:
        self._market = market
        self._store = store
        self._live = live
        self._config = config
        self._clock = clock
        self._universe = UniverseRepository(engine)
        self._backfiller = OhlcBackfiller(market, store, clock, show_progress=show_progress)

    @property
    def store(self) -> OhlcStore:
        return self._store

    @property
    def live(self) -> LiveMarketData:
        return self._live

    # --- universe ---------------------------------------------------------------------------

    def get_universe(self) -> list[str]:
        """Canonical names of the stored universe, sorted (e.g. ``["ETHUSD", "XBTUSD"]``)."""
        if self._universe.refreshed_at() is None:
            raise DataUnavailableError("no universe yet: run `krakked universe --refresh`")
        return [pair.canonical for pair in self._universe.load()]

    def get_universe_metadata(self) -> list[PairMetadata]:
        """Metadata of every pair in the stored universe (empty when never built)."""
        return self._universe.load()

    def universe_refreshed_at(self) -> datetime | None:
        """When the stored universe was built (None: never)."""
        return self._universe.refreshed_at()

    def get_pair_metadata(self, pair: str) -> PairMetadata:
        """Metadata of a canonical pair in the universe; UnknownPairError otherwise."""
        meta = self._universe.get(pair)
        if meta is None:
            raise UnknownPairError(f"{pair} is not in the universe")
        return meta

    def refresh_universe(self) -> UniverseBuild:
        """Re-fetch AssetPairs/Assets/Ticker, reapply the filters, persist and return the build."""
        return refresh_universe(self._market, self._universe, self._config, self._clock)

    # --- history ----------------------------------------------------------------------------

    def backfill_ohlc(
        self, pair: str, timeframe: Timeframe, since: int | None = None, until: int | None = None
    ) -> BackfillReport:
        """Fill stored history from ``since`` (default: after the newest stored bar) to now."""
        timeframe_seconds(timeframe)
        return self._backfiller.backfill(self.get_pair_metadata(pair), timeframe, since, until)

    def fill_universe_range(self, timeframe: Timeframe, start: int, end: int) -> RangeFillReport:
        """Backfill ``[start, end)`` of ``timeframe`` for every universe pair (a partition)."""
        pairs = self._universe.load()
        return fill_range(self._backfiller, self._store, pairs, timeframe, start=start, end=end)

    def get_ohlc(self, pair: str, timeframe: Timeframe, lookback: int) -> list[Bar]:
        """The newest ``lookback`` closed bars, oldest → newest, stored history + live closes."""
        if lookback <= 0:
            raise ValueError(f"lookback must be positive, got {lookback}")
        self._check_known(pair, timeframe)
        bars = self._with_live(
            pair, timeframe, self._store.get_last_bars(pair, timeframe, lookback)
        )
        if len(bars) < lookback:
            raise InsufficientDataError(
                f"{pair} {timeframe}: {len(bars)} closed bars available, {lookback} asked "
                "(run `krakked backfill`)"
            )
        return bars[-lookback:]

    def get_ohlc_since(self, pair: str, timeframe: Timeframe, since_ts: int) -> list[Bar]:
        """Closed bars with ``time ≥ since_ts``, oldest → newest (possibly none)."""
        self._check_known(pair, timeframe)
        stored = self._store.get_bars(pair, timeframe, start=since_ts)
        return [bar for bar in self._with_live(pair, timeframe, stored) if bar.time >= since_ts]

    def _with_live(self, pair: str, timeframe: Timeframe, stored: list[Bar]) -> list[Bar]:
        """Append the closed bars the sidecar published after the newest stored one.

        Only a contiguous run is appended: each live bar must open exactly one interval after
        the previous bar. At the first hole the join stops, so a missing bar is never hidden
        (the series ends before it and ``get_ohlc`` may say InsufficientDataError instead).
        """
        seconds = timeframe_seconds(timeframe)
        newest = stored[-1].time if stored else self._store.newest_time(pair, timeframe)
        now = int(self._clock.now().timestamp())
        since = newest if newest is not None else now - 2 * seconds * 720
        published = self._live.closed_bars_since(pair, timeframe, since)
        fresh = [bar for bar in published if bar.time + seconds <= now and bar.time % seconds == 0]
        joined: list[Bar] = []
        previous = newest
        for bar in fresh:
            if previous is not None and bar.time != previous + seconds:
                break
            joined.append(bar)
            previous = bar.time
        return stored + joined

    def _check_known(self, pair: str, timeframe: Timeframe) -> None:
        timeframe_seconds(timeframe)
        if self._universe.get(pair) is None and self._store.newest_time(pair, timeframe) is None:
            raise UnknownPairError(f"{pair} is not in the universe and has no stored history")

    # --- live -------------------------------------------------------------------------------

    def get_latest_price(self, pair: str) -> Decimal:
        """The last trade price (mid is ``get_best_bid_ask``'s average); the PriceSource port."""
        return self._live.latest_ticker(pair).last

    def get_best_bid_ask(self, pair: str) -> tuple[Decimal, Decimal]:
        """``(best bid, best ask)`` from the latest ticker."""
        ticker = self._live.latest_ticker(pair)
        return ticker.bid, ticker.ask

    def get_live_ohlc(self, pair: str, timeframe: Timeframe) -> Bar:
        """The newest live candle for the pair (may still be running)."""
        timeframe_seconds(timeframe)
        return self._live.live_bar(pair, timeframe)

    def get_data_status(self) -> DataStatus:
        """REST/WS health and fresh/stale pairs, as the sidecar last reported them."""
        return self._live.data_status()


def build_market_data_api(
    config: AppConfig,
    paths: AppPaths,
    engine: Engine,
    *,
    clock: Clock | None = None,
    market: MarketGateway | None = None,
    show_progress: bool | None = None,
) -> MarketDataAPI:
    """Compose the API from config: Parquet store, live store on ``engine``, the exchange's
    public market data."""
    clock = clock or SystemClock()
    return MarketDataAPI(
        engine=engine,
        market=market or build_market_gateway(config, paths, clock=clock),
        store=OhlcStore(config.ohlc_root(paths), clock),
        live=LiveStore(
            engine, _live_clock(engine, clock), config.market_data.ws.stale_tolerance_seconds
        ),
        config=config,
        clock=clock,
        show_progress=show_progress,
    )


def _live_clock(engine: Engine, clock: Clock) -> Clock:
    """The clock live data is aged on: on real time, the one every host shares; a pinned or
    manual clock (a test, a replay, `krakked cycle --at`) is the time on purpose and stays."""
    return shared_clock(engine, clock) if isinstance(clock, SystemClock) else clock
