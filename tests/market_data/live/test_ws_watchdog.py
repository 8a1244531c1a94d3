"""The silent-channel watchdog judges a channel by what it can expect, on an injected clock.

A lockstep feed drives simulated minutes in seconds: the sandbox's market model (its prices and
trades, on a pinned clock) is what a scripted loopback server sends, second by second, the way
the sandbox's WebSocket does (an item whenever it changed); the sandbox itself paces its socket
on real time, so it cannot run faster. The fault-profile test uses the sandbox's own socket.
"""

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from krakked_core.clock import ManualClock
from krakked_core.config import WsConfig
from krakked_core.connection.intervals import KRAKEN_INTERVAL
from krakked_core.market_data.live_cache import LiveCache
from krakked_core.market_data.live_feed import LiveFeed
from krakked_core.model.live import ChannelKey
from krakked_core.model.pairs import PairMetadata
from krakked_core.sim import FaultProfile, SimSettings
from krakked_core.sim.exchange import Exchange
from tests.market_data.live.conftest import kraken_live_feed
from tests.market_data.live.ws_loopback import HEARTBEAT, ScriptedWs, pair, scripted_ws

START = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)  # the pinned market: a sandbox on this clock
TIMEFRAMES = ("1m", "5m", "15m", "1h", "4h", "1d")
BOUND = 60.0  # silent_channel_seconds, the default
STEP = 2.0  # simulated seconds per lockstep step
# The heartbeat watchdog is not under test; a stepped clock must not trip it.
WS = {"silent_channel_seconds": BOUND, "heartbeat_timeout_seconds": 3600.0}
STEADY, SPARSE = pair("XBTUSD", "XBT/USD"), pair("BANDUSD", "BAND/USD")
V2 = {"XBTUSD": "BTC/USD", "BANDUSD": "BAND/USD"}


@asynccontextmanager
async def watched(
    url: str, pairs: Sequence[PairMetadata], clock: ManualClock, ws: dict[str, float]
) -> AsyncIterator[LiveFeed]:
    client = kraken_live_feed(
        url=url,
        pairs=pairs,
        timeframes=TIMEFRAMES,
        config=WsConfig.model_validate(ws),
        clock=clock,
        sink=LiveCache(clock),
    )
    stop = asyncio.Event()
    task = asyncio.create_task(client.run(stop))
    try:
        yield client
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)


async def settle(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    """Wait (briefly, often) until the client has caught up with the feed."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        await asyncio.sleep(0.001)


@dataclass
class LockstepFeed:
    """The sandbox market, sent an item per subscription whenever it changed."""

    script: ScriptedWs
    exchange: Exchange
    pairs: Sequence[str]
    muted: set[ChannelKey] = field(default_factory=set)  # keys the feed stops sending
    sent: dict[ChannelKey, dict[str, Any]] = field(default_factory=dict)
    items: int = 0
    trades: dict[str, int] = field(default_factory=dict)  # trades seen on each pair's 1d

    def channels(self) -> list[ChannelKey]:
        return [
            key
            for name in self.pairs
            for key in (
                ChannelKey("ticker", name),
                *(ChannelKey("ohlc", name, tf) for tf in TIMEFRAMES),
            )
        ]

    def _item(self, key: ChannelKey) -> dict[str, Any]:
        pair_key = self.exchange.markets.pair_for_ws_symbol(V2[key.pair])
        if key.timeframe is None:
            item = self.exchange.ticker_v2(pair_key)
        else:
            item = self.exchange.ohlc_v2(pair_key, KRAKEN_INTERVAL[key.timeframe])
        item.pop("timestamp")  # not news by itself
        return {**item, "symbol": V2[key.pair]}

    async def send(self, kind: str) -> None:
        """Send each key's item if it changed (all of them for a ``snapshot``), then a heartbeat."""
        for key in self.channels():
            if key in self.muted:
                continue
            item = self._item(key)
            if kind == "update" and self.sent.get(key) == item:
                continue
            if key.timeframe == "1d" and key in self.sent:
                self.trades[key.pair] = self.trades.get(key.pair, 0) + max(
                    0, item["trades"] - self.sent[key]["trades"]
                )
            self.sent[key] = item
            self.items += 1
            await self.script.push(
                json.dumps({"channel": key.channel, "type": kind, "data": [item]})
            )
        await self.script.push(HEARTBEAT)


async def step(feed: LockstepFeed, client: LiveFeed, clock: ManualClock) -> None:
    """One simulated step: move the clock, send what changed, let the watchdog look once."""
    scans = client.counters.channel_scans
    clock.advance(STEP)
    await feed.send("update")
    await settle(
        lambda: client.counters.data_items == feed.items and client.counters.channel_scans > scans,
        "the client to take the step",
    )


def test_sparse_and_steady_trades_raise_no_false_alarm_and_real_silence_is_caught() -> None:
    clock = ManualClock(START)
    exchange = Exchange(SimSettings(seed=1, history_days=1, tier="none"), clock)
    detected: dict[ChannelKey, float] = {}

    async def run_until(client: LiveFeed, feed: LockstepFeed, until: float) -> None:
        while clock.monotonic() < until:
            await step(feed, client, clock)
            for key in client.fallback_keys():
                detected.setdefault(key, clock.monotonic())

    async def scenario() -> None:
        async with (
            scripted_ws() as script,
            watched(script.url, [STEADY, SPARSE], clock, WS) as client,
        ):
            feed = LockstepFeed(script, exchange, ["XBTUSD", "BANDUSD"])
            await settle(lambda: client.counters.subscribed == len(feed.channels()), "the acks")
            await feed.send("snapshot")

            # Ten simulated minutes: steady trades on XBTUSD, hardly any on BANDUSD.
            await run_until(client, feed, 600)
            assert feed.trades["XBTUSD"] >= 10 and feed.trades.get("BANDUSD", 0) <= 1, feed.trades
            assert detected == {} and client.counters.resubscribes == 0

            # XBTUSD's candles go silent while its ticker flows: caught within the bound of the
            # first trade its ticker shows (the candles owed that trade).
            # The wall clock is set an hour back first: the watchdog runs on the monotonic one.
            clock.step(-3600)
            ohlc = {key for key in feed.channels() if key.pair == "XBTUSD" and key.timeframe}
            feed.muted |= ohlc
            silenced_at, last = clock.monotonic(), feed.sent[ChannelKey("ticker", "XBTUSD")]["last"]
            traded_at = None
            while traded_at is None:
                await step(feed, client, clock)
                if feed.sent[ChannelKey("ticker", "XBTUSD")]["last"] != last:
                    traded_at = clock.monotonic()
            await run_until(client, feed, traded_at + BOUND + 2 * STEP)
            assert set(detected) == ohlc
            assert all(
                traded_at + BOUND < at <= traded_at + BOUND + STEP for at in detected.values()
            )
            assert traded_at - silenced_at < BOUND  # not the whole-pair rule

            # BANDUSD goes quiet altogether: the whole pair is silent within the bound.
            band = {key for key in feed.channels() if key.pair == "BANDUSD"}
            feed.muted |= band
            quiet_from = clock.monotonic()
            await run_until(client, feed, quiet_from + BOUND + 2 * STEP)
            assert set(detected) == ohlc | band
            assert all(
                at <= quiet_from + BOUND + STEP for key, at in detected.items() if key in band
            )
            assert ChannelKey("ticker", "XBTUSD") not in client.fallback_keys()

    asyncio.run(scenario())


def scanned_since(client: LiveFeed, scans: int) -> Callable[[], bool]:
    return lambda: client.counters.channel_scans > scans


def test_a_channel_silenced_by_the_sandbox_fault_profile_is_caught_within_the_bound(
    sim: Any, sim_pairs: dict[str, PairMetadata]
) -> None:
    # The sandbox acknowledges XBTUSD's candles, then sends nothing on them (Kraken's failure).
    sim.set_faults(FaultProfile(silent_channels=frozenset({"ohlc:BTC/USD"})))
    clock = ManualClock(START)  # the client's: stepped, so the bound is simulated time
    silenced = {ChannelKey("ohlc", "XBTUSD", tf) for tf in TIMEFRAMES}
    detected: dict[ChannelKey, float] = {}

    async def scenario() -> None:
        pairs = [sim_pairs["XBTUSD"], sim_pairs["ETHUSD"]]
        async with watched(sim.ws_url, pairs, clock, WS) as client:
            await settle(
                lambda: client.counters.subscribed == len(pairs) * (1 + len(TIMEFRAMES)), "the acks"
            )
            subscribed = clock.monotonic()
            while clock.monotonic() < subscribed + BOUND + 3 * STEP:
                scans = client.counters.channel_scans
                clock.advance(STEP)
                # Paced so that the sandbox (real time) keeps up: STEP s in 0.25 real s.
                await asyncio.sleep(0.25)
                await settle(scanned_since(client, scans), "a scan")
                for key in client.fallback_keys():
                    detected.setdefault(key, clock.monotonic())

        assert set(detected) == silenced  # the ticker and ETHUSD flow: not suspected
        assert all(subscribed + BOUND < at <= subscribed + BOUND + STEP for at in detected.values())

    asyncio.run(scenario())
