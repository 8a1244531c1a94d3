"""The issue's synthetic data set: N pairs × D days of 5m candles from ``default_rng(42)``.

Exactly as issue 12 specifies, for each pair in turn: ``ret = rng.normal(0, 0.002, n)``,
``close = 100·exp(cumsum(ret))``, ``open = [100, close[:-1]]``, ``high = max(open, close)·(1 +
|rng.normal(0, 0.001, n)|)``, ``low = min(open, close)·(1 − |rng.normal(0, 0.001, n)|)``,
``volume = rng.uniform(1, 100, n)``, starting 2024-01-01 00:00 UTC. Written as Kraken OHLCVT CSV
files (``<PAIR>_5.csv``: time, open, high, low, close, volume, trades; no header), the layout
``krakked backtest --data DIR`` reads and the reference engine's script converts.

    python bench/backtest_data.py OUT_DIR [--pairs 10] [--days 365]
"""

import argparse
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl

START = datetime(2024, 1, 1, tzinfo=UTC)
STEP_SECONDS = 300
PAIRS = tuple(f"SYN{index:02d}USD" for index in range(10))


def generate(pairs: int = 10, days: int = 365) -> dict[str, pl.DataFrame]:
    """The candles of the first ``pairs`` synthetic pairs, by pair name, in generation order."""
    rng = np.random.default_rng(42)
    n = days * 86400 // STEP_SECONDS
    times = int(START.timestamp()) + STEP_SECONDS * np.arange(n, dtype=np.int64)
    frames = {}
    for name in PAIRS[:pairs]:
        ret = rng.normal(0, 0.002, n)
        close = 100 * np.exp(np.cumsum(ret))
        open_ = np.concatenate(([100.0], close[:-1]))
        high = np.maximum(open_, close) * (1 + np.abs(rng.normal(0, 0.001, n)))
        low = np.minimum(open_, close) * (1 - np.abs(rng.normal(0, 0.001, n)))
        volume = rng.uniform(1, 100, n)
        frames[name] = pl.DataFrame(
            {
                "time": times,
                "open": open_,
                "high": high,
                "low": low,
                "close": close,
                "volume": volume,
                "trades": np.ones(n, dtype=np.int64),
            }
        )
    return frames


def write_csv_dir(frames: dict[str, pl.DataFrame], directory: Path, minutes: int = 5) -> None:
    """Write one Kraken OHLCVT CSV per pair (full float precision, no header)."""
    directory.mkdir(parents=True, exist_ok=True)
    for pair, frame in frames.items():
        frame.write_csv(directory / f"{pair}_{minutes}.csv", include_header=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--pairs", type=int, default=10)
    parser.add_argument("--days", type=int, default=365)
    args = parser.parse_args()
    write_csv_dir(generate(args.pairs, args.days), args.out)
    print(f"wrote {args.pairs} pairs × {args.days} days of 5m candles to {args.out}")


if __name__ == "__main__":
    main()
