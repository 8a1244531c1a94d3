"""The WS v2 client against the sandbox exchange: subscribe, translate, recover, fall back."""

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import pytest

from krakked_core.clock import SystemClock
from krakked_core.config import AppConfig
from krakked_core.connection import KrakenRestClient
from krakked_core.connection.market_gateway import KrakenMarketGateway
from krakked_core.market_data.live_cache import LiveCache
from krakked_core.market_data.live_fallback import RestFallback
from krakked_core.market_data.live_feed import LiveFeed
from krakked_core.model.live import ChannelKey
from krakked_core.model.pairs import PairMetadata
from krakked_core.sim import FaultProfile
from tests.market_data.live.conftest import async_wait_until, kraken_live_feed


@asynccontextmanager
async def running_client(
    config: AppConfig, pairs: Sequence[PairMetadata], rest: KrakenRestClient | None = None
) -> AsyncIterator[tuple[LiveFeed, LiveCache]]:
    clock = SystemClock()
    cache = LiveCache(clock)
    market = KrakenMarketGateway(rest, clock) if rest is not None else None
    fallback = RestFallback(market, pairs, clock, cache) if market is not None else None
    client = kraken_live_feed(
        url=config.exchange.ws_url,
        pairs=pairs,
        timeframes=config.market_data.timeframes,
        config=config.market_data.ws,
        clock=clock,
        sink=cache,
        fallback=fallback,
        rng=random.Random(7),
    )
    stop = asyncio.Event()
    task = asyncio.create_task(client.run(stop))
    try:
        yield client, cache
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)


def _faults(**kwargs: Any) -> FaultProfile:
    return FaultProfile(**kwargs)


def test_client_subscribes_and_translates_v2_symbols_both_ways(
    live_config: AppConfig, sim_pairs: dict[str, PairMetadata]
) -> None:
    bogus = sim_pairs["XBTUSD"].model_copy(
        update={"canonical": "FOOUSD", "ws_symbol": "FOO/USD", "raw_name": "FOOUSD"}
    )
    pairs = [sim_pairs["XBTUSD"], sim_pairs["XDGUSD"], sim_pairs["ETHUSD"], bogus]

    async def scenario() -> None:
        async with running_client(live_config, pairs) as (client, cache):
            await async_wait_until(
                lambda: (
                    all(cache.latest_ticker(p) for p in ("XBTUSD", "XDGUSD", "ETHUSD"))
                    and all(cache.running_bar(p, "5m") for p in ("XBTUSD", "XDGUSD"))
                    and client.subscription_errors() != ()
                ),
                what="tickers, bars and the refused subscription",
            )
            assert client.connected
            errors = client.subscription_errors()
            assert any(e.startswith("ticker:FOOUSD: ") for e in errors)
            assert any(e.startswith("ohlc:FOOUSD:1m: ") for e in errors)
            assert not any("XBTUSD" in e or "XDGUSD" in e for e in errors)
            assert client.counters.malformed == 0

    asyncio.run(scenario())


def test_client_reconnects_and_resubscribes_after_the_socket_drops(
    sim: Any, live_config: AppConfig, sim_pairs: dict[str, PairMetadata]
) -> None:
    pairs = [sim_pairs["XBTUSD"], sim_pairs["ETHUSD"]]

    async def scenario() -> None:
        sim.set_faults(_faults(drop_every_seconds=0.7))  # applies to each new connection
        async with running_client(live_config, pairs) as (client, cache):
            await async_wait_until(lambda: client.counters.reconnects >= 3, what="reconnects")
            connections = client.counters.reconnects + 1
            channels = len(pairs) * 3  # ticker + ohlc 1m + ohlc 5m per pair
            # Every new connection subscribed everything again, and data kept coming.
            await async_wait_until(
                lambda: client.counters.subscribed >= connections * channels,
                what="resubscriptions",
            )
            assert client.counters.connection_errors >= 3
            assert client.subscription_errors() == ()
            items = client.counters.data_items
            await async_wait_until(lambda: client.counters.data_items > items, what="more data")
            ticker = cache.latest_ticker("XBTUSD")
            assert ticker is not None and ticker.pair == "XBTUSD"

    asyncio.run(scenario())


def test_silent_channel_is_resubscribed_served_from_rest_then_recovers(
    sim: Any, live_config: AppConfig, sim_pairs: dict[str, PairMetadata], rest: KrakenRestClient
) -> None:
    pairs = [sim_pairs["XBTUSD"], sim_pairs["ETHUSD"]]
    key = ChannelKey("ticker", "XBTUSD")

    async def scenario() -> None:
        sim.set_faults(_faults(silent_channels=frozenset({"ticker:BTC/USD"})))
        async with running_client(live_config, pairs, rest) as (client, cache):
            await async_wait_until(lambda: key in client.fallback_keys(), what="silence detected")
            assert client.counters.resubscribes >= 1
            assert ChannelKey("ticker", "ETHUSD") not in client.fallback_keys()
            # Served from REST meanwhile (the silenced ticker never came over the socket).
            await async_wait_until(
                lambda: cache.latest_ticker("XBTUSD") is not None, what="a ticker from REST"
            )
            assert client_polls(client) >= 1
            assert client.rest_ok

            sim.set_faults(_faults())
            await async_wait_until(lambda: key not in client.fallback_keys(), what="recovery")

    asyncio.run(scenario())


def client_polls(client: LiveFeed) -> int:
    fallback = client._fallback
    return 0 if fallback is None else fallback.counters.polls


def test_malformed_frames_are_skipped_counted_and_logged_once_per_kind(
    sim: Any,
    live_config: AppConfig,
    sim_pairs: dict[str, PairMetadata],
    caplog: pytest.LogCaptureFixture,
) -> None:
    pairs = [sim_pairs["XBTUSD"], sim_pairs["ETHUSD"], sim_pairs["SOLUSD"]]

    async def scenario() -> None:
        sim.set_faults(_faults(malformed_frame_rate=0.5, seed=3))
        async with running_client(live_config, pairs) as (client, _cache):
            await async_wait_until(
                lambda: client.counters.malformed >= 4 and client.counters.data_items >= 4,
                what="malformed and good frames",
            )
            assert client.connected
            assert client.counters.connection_errors == 0

    with caplog.at_level(logging.WARNING, logger="krakked_core.connection.ws_session"):
        asyncio.run(scenario())
    skipped = [r for r in caplog.records if "skipping WebSocket message" in r.getMessage()]
    kinds = [getattr(r, "kind", None) for r in skipped]
    assert kinds and len(kinds) == len(set(kinds))


class _RecordingRest:
    """The sandbox's REST client, recording which public endpoints the fallback called."""

    def __init__(self, rest: KrakenRestClient) -> None:
        self.rest = rest
        self.calls: list[tuple[str, Any]] = []

    def ticker(self, pairs: Sequence[str]) -> Any:
        self.calls.append(("Ticker", tuple(pairs)))
        return self.rest.ticker(pairs)

    def ohlc(self, pair: str, interval: int, since: int | None = None) -> Any:
        self.calls.append(("OHLC", (pair, interval)))
        return self.rest.ohlc(pair, interval, since)

    def server_time(self) -> Any:
        self.calls.append(("Time", ()))
        return self.rest.server_time()


def test_rest_fallback_polls_all_tickers_each_cycle_and_a_few_ohlc_keys_in_turn(
    sim_pairs: dict[str, PairMetadata], rest: KrakenRestClient
) -> None:
    pairs = [sim_pairs[p] for p in ("XBTUSD", "ETHUSD", "SOLUSD")]
    names = [p.canonical for p in pairs]
    keys = [(p, tf) for p in names for tf in ("1m", "5m")]  # 6 OHLC keys, 2 per cycle
    recording = _RecordingRest(rest)
    cache = LiveCache(SystemClock())
    market = KrakenMarketGateway(recording, SystemClock())
    fallback = RestFallback(market, pairs, SystemClock(), cache, ohlc_per_poll=2)

    async def scenario() -> None:
        for _ in range(3):
            await fallback.poll(names, keys)

    asyncio.run(scenario())

    tickers = [args for what, args in recording.calls if what == "Ticker"]
    ohlc = [args for what, args in recording.calls if what == "OHLC"]
    assert tickers == [tuple(names)] * 3  # every cycle, one call for all pairs
    assert len(ohlc) == 6 and len(set(ohlc)) == 6  # each key once over three cycles
    assert all(cache.latest_ticker(p) is not None for p in names)
    assert all(cache.running_bar(p, tf) is not None for p, tf in keys)
    assert fallback.counters.polls == 9 and fallback.counters.errors == 0
