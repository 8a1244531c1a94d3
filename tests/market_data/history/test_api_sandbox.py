"""MarketDataAPI against the sandbox exchange (REST) and the app DB, on SQLite and PostgreSQL."""

from collections.abc import Callable
from decimal import Decimal

import pytest
from sqlalchemy import Engine

from krakked_core.clock import ManualClock
from krakked_core.config import AppConfig
from krakked_core.connection import build_rest_client
from krakked_core.connection.parsers.market import parse_ohlc, parse_trades
from krakked_core.errors import (
    DataStaleError,
    DataUnavailableError,
    InsufficientDataError,
    UnknownPairError,
)
from krakked_core.market_data.api import MarketDataAPI
from krakked_core.market_data.backfill import TradeBarBuilder
from krakked_core.market_data.live_store import LiveStore
from krakked_core.market_data.universe import UniverseRepository
from krakked_core.model.market import Bar, TickerSnapshot
from krakked_core.paths import AppPaths
from krakked_core.ports import PriceSource
from tests.fakes.pairs import SANDBOX_UNIVERSE

HOUR = 3600


def test_universe_from_the_sandbox_applies_every_filter(api: MarketDataAPI, engine: Engine) -> None:
    with pytest.raises(DataUnavailableError, match="no universe"):
        api.get_universe()
    build = api.refresh_universe()
    assert api.get_universe() == SANDBOX_UNIVERSE
    assert build.rejected["WAVESUSD"] == "status cancel_only"
    assert build.rejected["XBTUSD.d"] == "dark pool"
    assert build.rejected["XBTEUR"].startswith("quote EUR")
    assert build.rejected["ETHXBT"].startswith("quote XBT")
    assert "below" in build.rejected["BANDUSD"]  # the illiquid pair, under the 100k USD floor
    xbt = api.get_pair_metadata("XBTUSD")
    assert (xbt.raw_name, xbt.ws_symbol, xbt.base, xbt.quote) == (
        "XXBTZUSD",
        "XBT/USD",
        "XBT",
        "USD",
    )
    # Another process sees the same universe through the app DB.
    assert [p.canonical for p in UniverseRepository(engine).load()] == SANDBOX_UNIVERSE
    with pytest.raises(UnknownPairError):
        api.get_pair_metadata("BANDUSD")


def test_tail_backfill_stores_closed_rest_bars_only(
    api: MarketDataAPI, now: Callable[[], int]
) -> None:
    api.refresh_universe()
    report = api.backfill_ohlc("XBTUSD", "1h")
    assert report.sources == ("rest_ohlc",) and report.bars_written > 40
    bars = api.get_ohlc("XBTUSD", "1h", 24)
    assert len(bars) == 24
    assert [b.time for b in bars] == sorted({b.time for b in bars})
    assert all(b.time % HOUR == 0 for b in bars)
    running_open = now() // HOUR * HOUR
    assert bars[-1].time == running_open - HOUR  # the newest closed bar, not the running one
    again = api.backfill_ohlc("XBTUSD", "1h", since=bars[0].time)
    assert (again.sources, again.requests) == ((), 0)  # all held already: no REST call
    assert api.get_ohlc("XBTUSD", "1h", 24) == bars  # idempotent: same bars, no duplicates


def test_old_gaps_are_rebuilt_from_trades_and_recent_window_from_rest(
    api: MarketDataAPI, now: Callable[[], int]
) -> None:
    api.refresh_universe()
    since = now() - 14 * HOUR  # 1m: REST reaches back only ~12 hours
    report = api.backfill_ohlc("ETHUSD", "1m", since=since)
    assert report.sources == ("trades", "rest_ohlc")
    coverage = {c.source for c in api.store.coverage("ETHUSD", "1m")}
    assert coverage == {"trades", "rest_ohlc"}
    bars = api.get_ohlc_since("ETHUSD", "1m", since)
    assert bars[0].time < now() - 12 * HOUR
    assert [b.time for b in bars] == sorted({b.time for b in bars})
    assert api.store.uncovered("ETHUSD", "1m", since // 60 * 60, now() // 60 * 60 - 60) == []


def test_bars_rebuilt_from_sandbox_trades_match_its_ohlc(
    sandbox_config: AppConfig, app_paths: AppPaths
) -> None:
    client = build_rest_client(sandbox_config, app_paths, None)
    ohlc = parse_ohlc(client.ohlc("XBTUSD", 5))
    start = ohlc.bars[-12].time
    builder = TradeBarBuilder(300)
    cursor: int | str = start
    while True:
        page = parse_trades(client.trades("XBTUSD", since=cursor))
        builder.add([t for t in page.trades if t.time < ohlc.bars[-1].time + 300])
        if not page.trades or page.trades[-1].time >= ohlc.bars[-1].time + 300 or page.last is None:
            break
        cursor = page.last
    rebuilt = {b.time: b for b in builder.bars()}
    for bar in ohlc.bars[-12:]:
        if bar.count == 0:
            continue
        mine = rebuilt[bar.time]
        assert (mine.open, mine.high, mine.low, mine.close, mine.count) == (
            bar.open, bar.high, bar.low, bar.close, bar.count,
        )  # fmt: skip
        assert mine.volume == pytest.approx(bar.volume, rel=1e-6)
        assert mine.vwap == pytest.approx(bar.vwap, rel=1e-4)


def test_get_ohlc_errors_are_the_documented_ones(
    api: MarketDataAPI, now: Callable[[], int]
) -> None:
    api.refresh_universe()
    api.backfill_ohlc("SOLUSD", "1h")
    with pytest.raises(UnknownPairError):
        api.get_ohlc("NOPEUSD", "1h", 5)
    with pytest.raises(InsufficientDataError, match="SOLUSD 1h"):
        api.get_ohlc("SOLUSD", "1h", 10_000)
    with pytest.raises(ValueError, match="timeframe"):
        api.get_ohlc("SOLUSD", "2h", 5)
    assert api.get_ohlc_since("SOLUSD", "1h", now() + HOUR) == []


def test_get_ohlc_joins_bars_the_sidecar_published_after_the_store(
    api: MarketDataAPI,
    live_store: LiveStore,
    now: Callable[[], int],
) -> None:
    api.refresh_universe()
    last_closed = now() // HOUR * HOUR - HOUR
    api.backfill_ohlc("XBTUSD", "1h", until=last_closed)  # the store lags one closed bar
    stored = api.get_ohlc("XBTUSD", "1h", 3)
    assert stored[-1].time == last_closed - HOUR
    closed = Bar(time=last_closed, open=1, high=2, low=0.5, close=1.5, vwap=1.2, volume=3, count=4)
    clash = Bar(time=last_closed - HOUR, open=9, high=9, low=9, close=9, vwap=9, volume=9, count=9)
    running = Bar(
        time=last_closed + HOUR, open=1, high=1, low=1, close=1, vwap=1, volume=1, count=1
    )
    live_store.publish(running_bars=[("XBTUSD", "1h", closed)])
    assert api.get_ohlc("XBTUSD", "1h", 3) == stored  # a running live bar is not history
    live_store.publish(closed_bars=[("XBTUSD", "1h", closed), ("XBTUSD", "1h", clash)])
    joined = api.get_ohlc("XBTUSD", "1h", 3)
    assert joined == [*stored[1:], closed]  # the stored bar wins its own time
    # A bar claimed closed before its interval ended is never returned.
    live_store.publish(closed_bars=[("XBTUSD", "1h", running)])
    assert api.get_ohlc_since("XBTUSD", "1h", last_closed) == [closed]


def test_get_ohlc_never_joins_live_bars_across_a_hole(
    api: MarketDataAPI,
    live_store: LiveStore,
    now: Callable[[], int],
) -> None:
    api.refresh_universe()
    last_closed = now() // HOUR * HOUR - HOUR
    api.backfill_ohlc("XBTUSD", "1h", until=last_closed - 9 * HOUR)  # stored up to -10 h
    stored = api.get_ohlc("XBTUSD", "1h", 5)
    assert stored[-1].time == last_closed - 10 * HOUR
    live = [
        Bar(time=t, open=1, high=2, low=0.5, close=1.5, vwap=1.2, volume=3, count=4)
        for t in (last_closed - HOUR, last_closed)
    ]
    live_store.publish(closed_bars=[("XBTUSD", "1h", bar) for bar in live])

    # The 8 hours between are in neither place: the series ends at the store, no hole hidden.
    assert api.get_ohlc("XBTUSD", "1h", 5) == stored
    since = api.get_ohlc_since("XBTUSD", "1h", last_closed - 12 * HOUR)
    assert [bar.time for bar in since] == [
        last_closed - 12 * HOUR,
        last_closed - 11 * HOUR,
        last_closed - 10 * HOUR,
    ]


def test_live_prices_come_from_the_sidecar_and_go_stale(
    api: MarketDataAPI, live_store: LiveStore, live_clock: ManualClock
) -> None:
    with pytest.raises(DataUnavailableError):
        api.get_latest_price("XBTUSD")
    snap = TickerSnapshot(
        pair="XBTUSD",
        bid=Decimal("100.1"),
        ask=Decimal("100.3"),
        last=Decimal("100.2"),
        volume_24h=Decimal("5"),
        vwap_24h=Decimal("100"),
        updated_at=live_clock.now(),
    )
    live_store.publish(tickers=[snap])
    price_source: PriceSource = api
    assert price_source.get_latest_price("XBTUSD") == Decimal("100.2")
    assert api.get_best_bid_ask("XBTUSD") == (Decimal("100.1"), Decimal("100.3"))
    live_clock.advance(61)
    with pytest.raises(DataStaleError):
        api.get_latest_price("XBTUSD")
    with pytest.raises(DataStaleError):
        api.get_best_bid_ask("XBTUSD")


def test_live_candle_and_status_are_the_sidecars(
    api: MarketDataAPI, live_store: LiveStore, now: Callable[[], int]
) -> None:
    with pytest.raises(DataUnavailableError):
        api.get_live_ohlc("XBTUSD", "1m")
    running = Bar(
        time=now() // 60 * 60, open=1, high=2, low=1, close=2, vwap=1.5, volume=1, count=1
    )
    live_store.publish(running_bars=[("XBTUSD", "1m", running)])
    assert api.get_live_ohlc("XBTUSD", "1m") == running
    status = api.get_data_status()
    assert status.ws_connected is False  # no sidecar ever reported
