"""WS messages handled per second: parse + cache + publish, over a loopback WebSocket.

A local server answers the client's subscriptions and then replays ticker and ohlc frames (built
from the recorded Kraken samples) as fast as it can. The sidecar parses them, updates its live
cache and publishes batches to a SQLite app DB. Prints figures; asserts nothing.

    .venv/bin/python bench/ws_throughput.py [--frames 50000] [--pairs 20]
"""

import argparse
import asyncio
import json
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from websockets.asyncio.server import ServerConnection, serve

from krakked_core.clock import SystemClock
from krakked_core.config import AppConfig
from krakked_core.connection.symbols import ws_v2_symbol
from krakked_core.db import make_engine, upgrade
from krakked_core.market_data.live_store import LiveStore
from krakked_core.model.pairs import PairMetadata
from krakked_core.sidecar import Sidecar

SHARED = Path(__file__).resolve().parents[2] / "shared"
if not SHARED.exists():  # a worktree whose parent has no shared/: look beside the repo root
    SHARED = Path(__file__).resolve().parents[1].parent.parent / "shared"
SAMPLES = SHARED / "kraken" / "samples"


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


async def _bench(frame_count: int, pair_count: int) -> None:
    pairs = _pairs(pair_count)
    frames = _frames(pairs, frame_count)
    sent = asyncio.Event()

    async def handler(ws: ServerConnection) -> None:
        await ws.recv()  # the first subscribe
        for start in range(0, len(frames), 500):
            for frame in frames[start : start + 500]:
                await ws.send(frame)
            await asyncio.sleep(0)
        sent.set()
        await ws.wait_closed()

    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/bench.db")
        upgrade(engine)
        async with serve(handler, "127.0.0.1", 0) as server:
            port = server.sockets[0].getsockname()[1]
            config = AppConfig.model_validate(
                {
                    "exchange": {"ws_url": f"ws://127.0.0.1:{port}"},
                    "market_data": {"timeframes": ["1m"], "ws": {"silent_channel_seconds": 3600}},
                }
            )
            clock = SystemClock()
            store = LiveStore(engine, clock, 60)
            sidecar = Sidecar(config=config, store=store, pairs=pairs, clock=clock, rest=None)
            stop = asyncio.Event()
            started = time.perf_counter()
            task = asyncio.create_task(sidecar.run(stop))
            while sidecar.client.counters.data_items < frame_count:
                await asyncio.sleep(0.01)
            handled = time.perf_counter() - started
            stop.set()
            await task
            total = time.perf_counter() - started
        engine.dispose()
    counters = sidecar.client.counters
    print(f"frames: {counters.data_items} over {pair_count} pairs (ticker + 1m ohlc)")
    print(
        f"handled (parse + cache; publishing each second alongside): "
        f"{counters.data_items / handled:,.0f} messages/s"
    )
    print(
        f"end to end incl. publish: {counters.data_items / total:,.0f} messages/s, "
        f"{sidecar.batches_published} batches"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=50_000)
    parser.add_argument("--pairs", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(_bench(args.frames, args.pairs))


if __name__ == "__main__":
    main()
