"""WS messages per second: the hot path, the DB publish and the publish lag, each beside a naive
baseline measured in the same run. Prints figures; asserts nothing.

1. Parse + cache on one core, no socket: recorded-sample frames through the WS session's frame
   handler, the live feed (watchdog bookkeeping) and the live cache. Baseline: the general
   parser (``json`` with Decimal, field by field) and validated models into the same cache.
2. End to end: a loopback WebSocket served from another process replays the frames as fast as
   it can; the sidecar handles them and publishes batches to a SQLite app DB. Published: the
   messages whose effect is committed, per second; lag: a message's receipt to the commit of
   its batch. Baseline: one transaction per message (``LiveStore.publish`` of each ticker).

    .venv/bin/python bench/ws_throughput.py [--frames 50000] [--pairs 20]
"""

import argparse
import asyncio
import bisect
import json
import multiprocessing
import os
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from websockets.asyncio.server import ServerConnection, serve

from krakked_core.clock import SystemClock
from krakked_core.config import AppConfig, WsConfig
from krakked_core.connection.parsers.ws import (
    OhlcMessage,
    TickerMessage,
    parse_ws_message_generally,
)
from krakked_core.connection.symbols import ws_v2_symbol
from krakked_core.connection.ws_session import KrakenWsSession, bar_of
from krakked_core.db import make_engine, upgrade
from krakked_core.market_data.live_cache import LiveCache
from krakked_core.market_data.live_feed import LiveFeed
from krakked_core.market_data.live_store import LiveStore
from krakked_core.model.market import TickerSnapshot
from krakked_core.model.pairs import PairMetadata
from krakked_core.sidecar import Sidecar

SHARED = Path(__file__).resolve().parents[2] / "shared"
if not SHARED.exists():  # a worktree whose parent has no shared/: look beside the repo root
    SHARED = Path(__file__).resolve().parents[1].parent.parent / "shared"
SAMPLES = SHARED / "kraken" / "samples"
TIMEFRAME_OF = {1: "1m"}


def _pairs(count: int) -> list[PairMetadata]:
    names = ["XBT", "ETH", "XDG"] + [f"A{i:03d}" for i in range(count)]
    return [
        PairMetadata(
            canonical=f"{base}USD",
            base=base,
            quote="USD",
            rest_symbol=f"{base}USD",
            ws_symbol=f"{base}/USD",
            raw_name=f"X{base}ZUSD",
            price_decimals=1,
            volume_decimals=8,
            cost_decimals=5,
            lot_size="0.00000001",
            ordermin="0.0001",
            status="online",
        )
        for base in names[:count]
    ]


def _frames(pairs: list[PairMetadata], count: int) -> list[str]:
    ticker = json.loads((SAMPLES / "ws_ticker_snapshot.json").read_text())["data"][0]
    ohlc = json.loads((SAMPLES / "ws_ohlc_update.json").read_text())["data"][0]
    begin = datetime.now(UTC).replace(second=0, microsecond=0)
    frames = []
    for i in range(count):
        symbol = ws_v2_symbol(pairs[i % len(pairs)].ws_symbol)
        if i % 2:
            item = {**ticker, "symbol": symbol, "last": 100000 + i % 997}
            frames.append(json.dumps({"channel": "ticker", "type": "update", "data": [item]}))
        else:
            minute = begin + timedelta(minutes=(i // (2 * len(pairs))) % 3)
            item = {
                **ohlc,
                "symbol": symbol,
                "interval_begin": minute.isoformat().replace("+00:00", "Z"),
            }
            frames.append(json.dumps({"channel": "ohlc", "type": "update", "data": [item]}))
    return frames


# --- 1. parse + cache, no socket -------------------------------------------------------------


def _naive_parse_and_cache(frames: list[str], cache: LiveCache, canonical: dict[str, str]) -> None:
    clock = SystemClock()
    for raw in frames:
        message = parse_ws_message_generally(raw)
        if isinstance(message, TickerMessage):
            for t in message.items:
                cache.on_ticker(
                    TickerSnapshot(
                        pair=canonical[t.symbol],
                        bid=t.bid,
                        ask=t.ask,
                        last=t.last,
                        volume_24h=t.volume,
                        vwap_24h=t.vwap,
                        updated_at=clock.now(),
                    )
                )
        elif isinstance(message, OhlcMessage):
            for c in message.items:
                cache.on_bar(canonical[c.symbol], TIMEFRAME_OF[c.interval], bar_of(c))


def _hot_path(frames: list[str], pairs: list[PairMetadata]) -> Callable[[], None]:
    """The session's frame handling into a feed and cache, as on a connection (no socket)."""
    clock = SystemClock()
    config = WsConfig.model_validate({"silent_channel_seconds": 3600})
    session = KrakenWsSession(url="ws://unused", config=config, clock=clock)
    cache = LiveCache(clock)
    feed = LiveFeed(
        session=session, pairs=pairs, timeframes=["1m"], config=config, clock=clock, sink=cache
    )
    handle = session.frame_handler(feed)

    def run() -> None:
        for raw in frames:
            handle(raw)

    return run


def _rate(count: int, work: Callable[[], None]) -> float:
    """Messages per second of this process's CPU time: on a shared machine, what one core does
    (wall time would count the other processes' turns)."""
    started = time.process_time()
    work()
    return count / (time.process_time() - started)


def bench_parse_and_cache(frames: list[str], pairs: list[PairMetadata]) -> None:
    canonical = {ws_v2_symbol(meta.ws_symbol): meta.canonical for meta in pairs}
    naive = _rate(
        len(frames),
        lambda: _naive_parse_and_cache(frames, LiveCache(SystemClock()), canonical),
    )
    fast = max(_rate(len(frames), _hot_path(frames, pairs)) for _ in range(3))
    print(f"parse + cache, one core:  {fast:>9,.0f} msg/s   (naive baseline {naive:,.0f} msg/s)")
    print("  (per CPU second of this process: the best of 3 runs; the baseline runs once)")


# --- 2. end to end, with publishing ----------------------------------------------------------


def _serve(frames: list[str], port_out: Any, go: Any) -> None:
    """The replaying exchange, in a process of its own (its sending is not ours to count)."""

    async def main() -> None:
        async def handler(ws: ServerConnection) -> None:
            await ws.recv()  # the first subscribe
            go.wait()
            for start in range(0, len(frames), 500):
                for frame in frames[start : start + 500]:
                    await ws.send(frame)
                await asyncio.sleep(0)
            await ws.wait_closed()

        async with serve(handler, "127.0.0.1", 0, compression=None) as server:
            port_out.put(server.sockets[0].getsockname()[1])
            await asyncio.Future()

    asyncio.run(main())


class _Timeline:
    """When each message arrived, and when each drain's batch was committed (perf_counter)."""

    def __init__(self) -> None:
        self.arrived: list[float] = []
        self.drained: list[float] = []
        self.committed: list[float] = []

    def lags(self) -> list[float]:
        lags = []
        for at in self.arrived:
            i = bisect.bisect_left(self.drained, at)
            if i < len(self.committed):
                lags.append(self.committed[i] - at)
        return sorted(lags)


def _instrument(sidecar: Sidecar, timeline: _Timeline) -> None:
    cache, store = sidecar.cache, sidecar._store
    on_quote, on_bar, drain, publish = cache.on_quote, cache.on_bar, cache.drain, store.publish

    def arrived(inner: Callable[..., None]) -> Callable[..., None]:
        def record(*args: Any, **kwargs: Any) -> None:
            timeline.arrived.append(time.perf_counter())
            inner(*args, **kwargs)

        return record

    def drained(*args: Any, **kwargs: Any) -> Any:
        timeline.drained.append(time.perf_counter())
        return drain(*args, **kwargs)

    def published(*args: Any, **kwargs: Any) -> None:
        publish(*args, **kwargs)
        timeline.committed.append(time.perf_counter())

    cache.on_quote, cache.on_bar = arrived(on_quote), arrived(on_bar)  # type: ignore[method-assign]
    cache.drain = drained  # type: ignore[method-assign]
    store.publish = published  # type: ignore[method-assign]


async def _end_to_end(frames: list[str], pairs: list[PairMetadata], engine: Any) -> None:
    context = multiprocessing.get_context("spawn")
    port_out, go = context.Queue(), context.Event()
    server = context.Process(target=_serve, args=(frames, port_out, go), daemon=True)
    server.start()
    port = port_out.get(timeout=60)
    config = AppConfig.model_validate(
        {
            "exchange": {"ws_url": f"ws://127.0.0.1:{port}"},
            "market_data": {"timeframes": ["1m"], "ws": {"silent_channel_seconds": 3600}},
        }
    )
    clock = SystemClock()
    store = LiveStore(engine, clock, 60)
    sidecar = Sidecar(config=config, store=store, pairs=pairs, clock=clock, rest=None)
    timeline = _Timeline()
    _instrument(sidecar, timeline)
    stop = asyncio.Event()
    task = asyncio.create_task(sidecar.run(stop))
    while not sidecar.client.connected:
        await asyncio.sleep(0.01)
    go.set()
    started = time.perf_counter()
    while sidecar.client.counters.data_items < len(frames):
        await asyncio.sleep(0.01)
    handled = time.perf_counter() - started
    while not timeline.committed or timeline.drained[-1] < timeline.arrived[-1]:
        await asyncio.sleep(0.01)
    while len(timeline.committed) < len(timeline.drained):
        await asyncio.sleep(0.01)
    published = timeline.committed[-1] - started
    stop.set()
    await task
    server.terminate()
    lags = timeline.lags()
    count = sidecar.client.counters.data_items
    print(f"end to end, handled:      {count / handled:>9,.0f} msg/s   (over a loopback socket)")
    print(
        f"published to the app DB:  {len(lags) / published:>9,.0f} msg/s   "
        f"({len(timeline.committed)} batches)"
    )
    p50, p99 = lags[len(lags) // 2], lags[int(len(lags) * 0.99)]
    print(f"publish lag:              p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms")


def _naive_publish(engine: Any, pairs: list[PairMetadata], seconds: float = 2.0) -> float:
    """One transaction per message: each ticker written as it arrives."""
    store = LiveStore(engine, SystemClock(), 60)
    now = datetime.now(UTC)
    sample = json.loads((SAMPLES / "ws_ticker_snapshot.json").read_text())["data"][0]
    snapshots = [
        TickerSnapshot(
            pair=meta.canonical,
            bid=sample["bid"],
            ask=sample["ask"],
            last=sample["last"],
            volume_24h=sample["volume"],
            vwap_24h=sample["vwap"],
            updated_at=now,
        )
        for meta in pairs
    ]
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        store.publish(tickers=[snapshots[count % len(snapshots)]])
        count += 1
    return count / (time.perf_counter() - started)


def bench_end_to_end(frames: list[str], pairs: list[PairMetadata]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/bench.db")
        upgrade(engine)
        asyncio.run(_end_to_end(frames, pairs, engine))
        naive = _naive_publish(engine, pairs)
        print(f"  (naive publish baseline, a transaction per message: {naive:,.0f} msg/s)")
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=50_000)
    parser.add_argument("--pairs", type=int, default=20)
    args = parser.parse_args()
    pairs = _pairs(args.pairs)
    frames = _frames(pairs, args.frames)
    print(
        f"{args.frames} frames over {args.pairs} pairs (ticker + 1m ohlc); "
        f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"
    )
    bench_parse_and_cache(frames, pairs)
    bench_end_to_end(frames, pairs)


if __name__ == "__main__":
    main()
