"""Replay a recorded 1-minute OHLCVT file (Kraken's archive layout) as a pair's public trades.

Each candle becomes trades that aggregate back to it exactly: the first at the open, the high
and the low in between, the last at the close, the volume split across them (on the pair's tick
and lot grids). Days the file does not cover keep the generated path.
"""

import csv
import math
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

import numpy as np

from krakked_core.errors import ConfigError
from krakked_core.sim.errors import SimError
from krakked_core.sim.markets import Markets, Pair
from krakked_core.sim.prices import MINUTES_PER_DAY, NS, DayTrades, PriceModel, rng


@dataclass(frozen=True)
class Candle:
    open: int  # ticks
    high: int
    low: int
    close: int
    units: int  # lots
    count: int


def load_replay(prices: PriceModel, markets: Markets, path: Path) -> None:
    """Serve the pair named by ``path`` (``XBTUSD_1.csv``) from the file's candles."""
    altname, _, interval = path.stem.rpartition("_")
    if interval != "1":
        raise ConfigError(
            f"replay needs a 1-minute OHLCVT file named <PAIR>_1.csv, not {path.name}"
        )
    try:
        pair = markets.get(altname)
    except SimError:
        raise ConfigError(
            f"replay file {path.name}: no pair {altname!r} in the market list"
        ) from None
    candles = _read(path, pair)
    seed = int(path.stat().st_size)  # trade sides only; prices and volumes come from the file

    def source(asked: Pair, day: int) -> DayTrades | None:
        minutes = {m: c for m, c in candles.items() if m // MINUTES_PER_DAY == day}
        return _day(asked, day, minutes, seed) if minutes else None

    prices.override(pair.key, source)


def _read(path: Path, pair: Pair) -> dict[int, Candle]:
    candles: dict[int, Candle] = {}
    with path.open(newline="", encoding="ascii") as src:
        for number, row in enumerate(csv.reader(src), start=1):
            try:
                time, o, h, low, c, volume, count = row[:7]
                ticks = [round(Decimal(x) / pair.tick) for x in (o, h, low, c)]
                units = round(Decimal(volume) / pair.lot)
                candle = Candle(ticks[0], ticks[1], ticks[2], ticks[3], units, int(count))
            except (ValueError, InvalidOperation):
                raise ConfigError(f"{path.name}:{number}: not an OHLCVT row: {row!r}") from None
            if candle.count > 0 and candle.units > 0:
                candles[int(time) // 60] = candle
    return candles


def _prices(candle: Candle) -> list[int]:
    """Trade prices for a candle: open first, close last, high and low reached in between."""
    middle = [p for p in (candle.high, candle.low) if p not in {candle.open, candle.close}]
    path = [candle.open, *middle, candle.close]
    if len(path) == 2 and candle.open == candle.close:
        path = [candle.close]
    count = max(min(candle.count, 99, candle.units), len(path))
    return path[:-1] + [candle.close] * (count - len(path)) + [candle.close]


def _day(pair: Pair, day: int, minutes: dict[int, Candle], seed: int) -> DayTrades:
    t_ns, ticks, units, minute_of = [], [], [], []
    for minute in sorted(minutes):
        candle = minutes[minute]
        prices = _prices(candle)
        total = max(candle.units, len(prices))
        sizes = [total // len(prices)] * len(prices)
        sizes[0] += total - sum(sizes)
        for k, (price, size) in enumerate(zip(prices, sizes, strict=True)):
            t_ns.append(minute * 60 * NS + (k * 59 * NS) // len(prices))
            ticks.append(price)
            units.append(size)
            minute_of.append(minute - day * MINUTES_PER_DAY)
    minute_arr = np.array(minute_of, dtype=np.int64)
    counts = np.bincount(minute_arr, minlength=MINUTES_PER_DAY)
    offsets = np.r_[0, np.cumsum(counts)].astype(np.int64)
    gen = rng(seed, pair.key, "replay", day)
    n = len(ticks)
    return DayTrades(
        day=day,
        t_ns=np.array(t_ns, dtype=np.int64),
        ticks=np.array(ticks, dtype=np.int64),
        units=np.array(units, dtype=np.int64),
        buy=gen.random(n) < 0.5,
        market=gen.random(n) < 0.6,
        minute=minute_arr,
        ids=(day * MINUTES_PER_DAY + minute_arr) * 100 + np.arange(n) - offsets[minute_arr],
        offsets=offsets,
        log_path=_log_path(pair, minutes, day),
    )


def _log_path(pair: Pair, minutes: dict[int, Candle], day: int) -> np.ndarray:
    """Log price at each minute boundary: the last close so far (the first open before any)."""
    first = minutes[min(minutes)]
    price = first.open
    path = []
    for boundary in range(MINUTES_PER_DAY + 1):
        path.append(math.log(price * float(pair.tick)))
        candle = minutes.get(day * MINUTES_PER_DAY + boundary)
        if candle is not None:
            price = candle.close
    return np.array(path, dtype=np.float64)
