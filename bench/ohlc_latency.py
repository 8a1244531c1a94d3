"""Print `MarketDataAPI.get_ohlc` latency for 720 bars (median / p95 over N runs).

    .venv/bin/python bench/ohlc_latency.py [--runs 200] [--timeframe 1m]

Builds a throwaway store with 30 days of synthetic closed bars for one pair and an app DB (SQLite)
with a one-pair universe, then times `get_ohlc(pair, timeframe, 720)` including the live-bar join.
A script that prints figures; it asserts nothing.
"""

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from krakked_core.clock import ManualClock
from krakked_core.config import AppConfig
from krakked_core.db import make_engine, upgrade
from krakked_core.market_data.api import MarketDataAPI
from krakked_core.market_data.live_store import LiveStore
from krakked_core.market_data.ohlc_store import OhlcStore
from krakked_core.market_data.universe import UniverseBuild, UniverseRepository
from krakked_core.model.market import TIMEFRAME_SECONDS, Bar
from krakked_core.model.pairs import PairMetadata

PAIR = PairMetadata(
    canonical="XBTUSD",
    base="XBT",
    quote="USD",
    rest_symbol="XBTUSD",
    ws_symbol="XBT/USD",
    raw_name="XXBTZUSD",
    price_decimals=1,
    volume_decimals=8,
    cost_decimals=5,
    lot_size=Decimal("0.00000001"),
    ordermin=Decimal("0.0001"),
    status="online",
)


class _NoRest:
    """get_ohlc never calls REST; anything else is a bench bug."""

    def __getattr__(self, name: str) -> object:
        raise RuntimeError(f"the bench does not call REST ({name})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--timeframe", default="1m", choices=list(TIMEFRAME_SECONDS))
    parser.add_argument("--days", type=int, default=30)
    args = parser.parse_args()
    seconds = TIMEFRAME_SECONDS[args.timeframe]
    now = datetime(2024, 4, 1, 0, 0, 30, tzinfo=UTC)
    clock = ManualClock(now)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        engine = make_engine(f"sqlite:///{root / 'app.db'}")
        upgrade(engine)
        UniverseRepository(engine).save(UniverseBuild([PAIR], {}, {}, 1), now)
        store = OhlcStore(root / "ohlc", clock)
        end = int(now.timestamp()) // seconds * seconds
        count = args.days * 86400 // seconds
        bars = [
            Bar(time=end - (count - i) * seconds, open=100, high=101, low=99, close=100.5,
                vwap=100.2, volume=1.5, count=3)
            for i in range(count)
        ]  # fmt: skip
        store.append_bars(PAIR.canonical, args.timeframe, bars, "rest_ohlc")
        api = MarketDataAPI(
            engine=engine,
            market=_NoRest(),  # type: ignore[arg-type]
            store=store,
            live=LiveStore(engine, clock, 60),
            config=AppConfig(),
            clock=clock,
            show_progress=False,
        )
        api.get_ohlc(PAIR.canonical, args.timeframe, 720)  # warm-up
        timings = []
        for _ in range(args.runs):
            start = time.perf_counter()
            got = api.get_ohlc(PAIR.canonical, args.timeframe, 720)
            timings.append((time.perf_counter() - start) * 1000)
        timings.sort()
        p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
        print(
            f"get_ohlc {PAIR.canonical} {args.timeframe} x720 bars ({len(got)} returned), "
            f"{count} stored over {args.days} days, {args.runs} runs"
        )
        print(
            f"  median {statistics.median(timings):.2f} ms   p95 {p95:.2f} ms   "
            f"min {timings[0]:.2f} ms   max {timings[-1]:.2f} ms"
        )
        engine.dispose()


if __name__ == "__main__":
    main()
