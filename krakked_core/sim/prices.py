"""Deterministic markets: every pair's trades are a pure function of (seed, pair, minute).

Daily anchor prices follow a mean-reverting random walk (in log price) from a fixed epoch; each
day is a minute-level Brownian bridge between two anchors, with an occasional jump; each minute
holds a deterministic number of trades whose prices and volumes sit on the pair's tick and lot
grids. Prices and volumes are kept as integer counts of ticks and lots, so a candle is an exact
aggregate of its trades and every interval an exact aggregate of its minutes. Two exchanges with
one seed agree on every trade, whenever each was started.
"""

import hashlib
import math
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

from krakked_core.sim.markets import Markets, Pair

NS = 1_000_000_000
MINUTES_PER_DAY = 1440
EPOCH_DAY = 16436  # 2015-01-01, the first day the sandbox has prices for
MAX_TRADES_PER_MINUTE = 99  # public trade ids are minute * 100 + index
_YEAR_DAYS = 365.0
_YEAR_MINUTES = 525_600.0
_REVERSION = 0.01  # per day, toward the pair's reference price
_BLOCK = 256  # anchor days drawn per generator

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
ObjArray = NDArray[np.object_]
_V = TypeVar("_V")
_UNIX = datetime(1970, 1, 1, tzinfo=UTC)


def ns_of(when: datetime) -> int:
    """Exact epoch nanoseconds of an aware datetime (no float rounding)."""
    return ((when - _UNIX) // timedelta(microseconds=1)) * 1000


def derive_seed(*parts: object) -> int:
    """A 128-bit seed from its parts (never Python's salted ``hash``)."""
    digest = hashlib.sha256("\x1f".join(str(part) for part in parts).encode()).digest()
    return int.from_bytes(digest[:16], "big")


def rng(*parts: object) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(derive_seed(*parts)))


@dataclass(frozen=True)
class DayTrades:
    """One pair's public trades of one UTC day, in time order."""

    day: int  # unix day number
    t_ns: IntArray
    ticks: IntArray  # price / tick
    units: IntArray  # volume / lot
    buy: BoolArray
    market: BoolArray
    minute: IntArray  # minute of the day of each trade
    ids: IntArray  # public trade ids: unix minute * 100 + index within the minute
    offsets: IntArray  # minute m's trades are [offsets[m], offsets[m + 1])
    log_path: FloatArray  # log price at each minute boundary (1441 values)


@dataclass(frozen=True)
class Candles:
    """Consecutive 1-minute candles (empty minutes carry the last close, as Kraken's do)."""

    start_minute: int  # unix minute of the first row
    open: IntArray
    high: IntArray
    low: IntArray
    close: IntArray
    units: IntArray
    count: IntArray
    pv: ObjArray  # sum of ticks * units (exact Python ints) for the vwap
    interval: int = 1  # minutes per row

    def __len__(self) -> int:
        return len(self.open)

    def slice(self, start: int, stop: int) -> "Candles":
        return Candles(
            self.start_minute + start,
            self.open[start:stop],
            self.high[start:stop],
            self.low[start:stop],
            self.close[start:stop],
            self.units[start:stop],
            self.count[start:stop],
            self.pv[start:stop],
            self.interval,
        )

    @staticmethod
    def concat(parts: list["Candles"]) -> "Candles":
        def cat(name: str) -> Any:
            return np.concatenate([getattr(part, name) for part in parts])

        return Candles(
            parts[0].start_minute,
            cat("open"),
            cat("high"),
            cat("low"),
            cat("close"),
            cat("units"),
            cat("count"),
            cat("pv"),
            parts[0].interval,
        )

    def aggregate(self, interval: int) -> "Candles":
        """Group the minutes into epoch-aligned buckets of ``interval`` minutes."""
        minutes = np.arange(self.start_minute, self.start_minute + len(self), dtype=np.int64)
        bucket = minutes // interval
        starts = np.flatnonzero(np.r_[True, bucket[1:] != bucket[:-1]])
        ends = np.r_[starts[1:], len(self)] - 1
        traded = self.count > 0
        index = np.arange(len(self), dtype=np.int64)
        first = np.minimum.reduceat(np.where(traded, index, len(self)), starts)
        last = np.maximum.reduceat(np.where(traded, index, -1), starts)
        has = last >= 0
        carry = self.close[ends]
        big = np.iinfo(np.int64).max
        high = np.maximum.reduceat(np.where(traded, self.high, 0), starts)
        low = np.minimum.reduceat(np.where(traded, self.low, big), starts)
        return Candles(
            int(bucket[0] * interval),
            np.where(has, self.open[np.minimum(first, len(self) - 1)], carry),
            np.where(has, high, carry),
            np.where(has, low, carry),
            np.where(has, self.close[np.maximum(last, 0)], carry),
            np.add.reduceat(self.units, starts),
            np.add.reduceat(self.count, starts),
            np.add.reduceat(self.pv, starts),
            interval,
        )


class _LRU:
    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[tuple[str, int], Any] = OrderedDict()

    def get(self, key: tuple[str, int], make: Callable[[], _V]) -> _V:
        if key in self._items:
            self._items.move_to_end(key)
            return self._items[key]  # type: ignore[no-any-return]
        value = make()
        self._items[key] = value
        if len(self._items) > self._size:
            self._items.popitem(last=False)
        return value


class _Anchors:
    """Daily log prices of one path: an Ornstein-Uhlenbeck walk from the epoch, with jumps."""

    def __init__(self, seed: int, path_key: str, pair: Pair) -> None:
        self._seed = seed
        self._key = path_key
        self._mu = math.log(float(pair.params.price))
        self._sigma = pair.params.volatility / math.sqrt(_YEAR_DAYS)
        self._x: list[float] = [self._mu]

    def at(self, day: int) -> float:
        index = day - EPOCH_DAY
        if index < 0:
            raise ValueError(f"the sandbox has no prices before 2015-01-01 (day {day})")
        while len(self._x) <= index:
            self._extend()
        return self._x[index]

    def _extend(self) -> None:
        block = (len(self._x) - 1) // _BLOCK
        gen = rng(self._seed, self._key, "anchors", block)
        shocks = gen.standard_normal(_BLOCK) * self._sigma
        jumps = (gen.random(_BLOCK) < 0.02) * gen.normal(0.0, 3 * self._sigma, _BLOCK)
        x = self._x[-1]
        for shock, jump in zip(shocks.tolist(), jumps.tolist(), strict=True):
            x = x + _REVERSION * (self._mu - x) + shock + jump
            self._x.append(x)


class PriceModel:
    """Trades and candles of every pair, generated per (pair, day) and cached."""

    def __init__(self, markets: Markets, seed: int, *, cache_days: int = 160) -> None:
        self._markets = markets
        self._seed = seed
        self._anchors: dict[str, _Anchors] = {}
        self._trades = _LRU(cache_days)
        self._candles = _LRU(cache_days * 2)
        # Replayed pairs: a day's trades from a recorded file instead of the random path.
        self._overrides: dict[str, Callable[[Pair, int], DayTrades | None]] = {}

    def override(self, pair_key: str, source: Callable[[Pair, int], DayTrades | None]) -> None:
        """Take ``pair_key``'s trades from ``source`` on the days it covers (None elsewhere)."""
        self._overrides[pair_key] = source

    # --- generation --------------------------------------------------------------------------

    def day_trades(self, pair: Pair, day: int) -> DayTrades:
        return self._trades.get((pair.key, day), lambda: self._make_trades(pair, day))

    def day_candles(self, pair: Pair, day: int) -> Candles:
        return self._candles.get((pair.key, day), lambda: self._make_candles(pair, day))

    def _log_path(self, pair: Pair, day: int) -> FloatArray:
        leader = self._markets.pairs.get(pair.params.path_of, pair)
        anchors = self._anchors.get(leader.key)
        if anchors is None:
            anchors = self._anchors[leader.key] = _Anchors(self._seed, leader.key, leader)
        start, end = anchors.at(day), anchors.at(day + 1)
        sigma = leader.params.volatility / math.sqrt(_YEAR_MINUTES)
        gen = rng(self._seed, leader.key, "bridge", day)
        steps = gen.standard_normal(MINUTES_PER_DAY) * sigma
        if gen.random() < 0.15:  # an occasional jump, unwound by the bridge over the day
            steps[gen.integers(MINUTES_PER_DAY)] += gen.normal(0.0, 25 * sigma)
        walk = np.r_[0.0, np.cumsum(steps)]
        frac = np.arange(MINUTES_PER_DAY + 1) / MINUTES_PER_DAY
        bridge = walk - frac * walk[-1]
        scale = math.log(float(pair.params.price) / float(leader.params.price))
        return start + frac * (end - start) + bridge + scale  # type: ignore[no-any-return]

    def _make_trades(self, pair: Pair, day: int) -> DayTrades:
        source = self._overrides.get(pair.key)
        replayed = source(pair, day) if source else None
        if replayed is not None:
            return replayed
        log_path = self._log_path(pair, day)
        params = pair.params
        gen = rng(self._seed, pair.key, "trades", day)
        season = 1 + 0.5 * np.sin(2 * np.pi * np.arange(MINUTES_PER_DAY) / MINUTES_PER_DAY)
        rate = params.trades_per_minute * season * math.exp(gen.normal(0.0, 0.3))
        counts = np.minimum(gen.poisson(rate), MAX_TRADES_PER_MINUTE).astype(np.int64)
        if params.min_24h_volume is not None:
            counts = _a_trade_every_hour(counts)
        n = int(counts.sum())
        offsets = np.r_[0, np.cumsum(counts)].astype(np.int64)
        minute = np.repeat(np.arange(MINUTES_PER_DAY, dtype=np.int64), counts)
        key = np.sort(minute + gen.random(n) * 0.99)
        frac = key - minute
        micros = (frac * 60e6).astype(np.int64)
        t_ns = (day * 86400 + minute * 60) * NS + micros * 1000
        step = np.arange(n, dtype=np.int64) * 1000  # strictly increasing, 1 µs apart at least
        t_ns = np.maximum.accumulate(t_ns - step) + step
        sigma = params.volatility / math.sqrt(_YEAR_MINUTES)
        log_price = log_path[minute] + frac * (log_path[minute + 1] - log_path[minute])
        log_price = log_price + gen.normal(0.0, 0.5 * sigma, n)
        price = np.exp(log_price)
        ticks = np.maximum(np.rint(price / float(pair.tick)), 1).astype(np.int64)
        mu = math.log(params.trade_notional) - 0.72
        notional = np.exp(gen.normal(mu, 1.2, n))
        units = np.maximum(np.rint(notional / price / float(pair.lot)), 1).astype(np.int64)
        units = _units_in_volume_band(pair, minute, ticks, units)
        return DayTrades(
            day=day,
            t_ns=t_ns,
            ticks=ticks,
            units=units,
            buy=gen.random(n) < 0.5,
            market=gen.random(n) < 0.6,
            minute=minute,
            ids=(day * MINUTES_PER_DAY + minute) * 100 + np.arange(n) - offsets[minute],
            offsets=offsets,
            log_path=log_path,
        )

    def _make_candles(self, pair: Pair, day: int) -> Candles:
        trades = self.day_trades(pair, day)
        before = self.day_trades(pair, day - 1)
        previous = (
            int(before.ticks[-1])
            if len(before.ticks)
            else max(1, round(math.exp(trades.log_path[0]) / float(pair.tick)))
        )
        counts = np.diff(trades.offsets)
        traded = counts > 0
        first = trades.offsets[:-1][traded]
        close = np.zeros(MINUTES_PER_DAY, dtype=np.int64)
        opens, highs, lows = close.copy(), close.copy(), close.copy()
        units = np.zeros(MINUTES_PER_DAY, dtype=np.int64)
        pv = np.zeros(MINUTES_PER_DAY, dtype=object)
        if len(first):
            opens[traded] = trades.ticks[first]
            close[traded] = trades.ticks[trades.offsets[1:][traded] - 1]
            highs[traded] = np.maximum.reduceat(trades.ticks, first)
            lows[traded] = np.minimum.reduceat(trades.ticks, first)
            units[traded] = np.add.reduceat(trades.units, first)
            products = trades.ticks.astype(object) * trades.units.astype(object)
            pv[traded] = np.add.reduceat(products, first)
        index = np.maximum.accumulate(np.where(traded, np.arange(MINUTES_PER_DAY), -1))
        carried = np.where(index >= 0, close[np.maximum(index, 0)], previous)
        return Candles(
            start_minute=day * MINUTES_PER_DAY,
            open=np.where(traded, opens, carried),
            high=np.where(traded, highs, carried),
            low=np.where(traded, lows, carried),
            close=carried,
            units=units,
            count=counts.astype(np.int64),
            pv=pv,
        )

    # --- queries -----------------------------------------------------------------------------

    def candles(self, pair: Pair, start_minute: int, now_ns: int) -> Candles:
        """1-minute candles from ``start_minute`` to the running minute (trades up to now)."""
        now_minute = now_ns // (60 * NS)
        parts: list[Candles] = []
        minute = start_minute
        while minute <= now_minute:
            day = minute // MINUTES_PER_DAY
            rows = self.day_candles(pair, day)
            stop = min(MINUTES_PER_DAY, now_minute - day * MINUTES_PER_DAY + 1)
            parts.append(rows.slice(minute - day * MINUTES_PER_DAY, stop))
            minute = day * MINUTES_PER_DAY + stop
        whole = Candles.concat(parts)
        return self._cut_running(pair, whole, now_ns)

    def _cut_running(self, pair: Pair, rows: Candles, now_ns: int) -> Candles:
        """Replace the running minute's row by one built from its trades up to ``now_ns``."""
        now_minute = now_ns // (60 * NS)
        day, minute = divmod(now_minute, MINUTES_PER_DAY)
        trades = self.day_trades(pair, day)
        lo, hi = int(trades.offsets[minute]), int(trades.offsets[minute + 1])
        seen = lo + int(np.searchsorted(trades.t_ns[lo:hi], now_ns, side="right"))
        if seen == hi:
            return rows
        last = len(rows) - 1
        carry = int(rows.close[last - 1]) if last > 0 else self._close_before(pair, now_minute)
        ticks, units = trades.ticks[lo:seen], trades.units[lo:seen]
        row = (
            (int(ticks[0]), int(ticks.max()), int(ticks.min()), int(ticks[-1]))
            if len(ticks)
            else (carry, carry, carry, carry)
        )
        for name, value in zip(("open", "high", "low", "close"), row, strict=True):
            getattr(rows, name)[last] = value
        rows.units[last] = int(units.sum())
        rows.count[last] = len(ticks)
        rows.pv[last] = sum(int(t) * int(u) for t, u in zip(ticks, units, strict=True))
        return rows

    def _close_before(self, pair: Pair, minute: int) -> int:
        day, index = divmod(minute - 1, MINUTES_PER_DAY)
        return int(self.day_candles(pair, day).close[index])

    def trades_after(self, pair: Pair, after_ns: int, until_ns: int, limit: int) -> list[DayTrades]:
        """Up to ``limit`` trades with ``after_ns < time <= until_ns``, oldest first."""
        found: list[DayTrades] = []
        total = 0
        day = max(after_ns // (86400 * NS), EPOCH_DAY)
        while total < limit and day * 86400 * NS <= until_ns:
            trades = self.day_trades(pair, day)
            mask = (trades.t_ns > after_ns) & (trades.t_ns <= until_ns)
            picked = _select(trades, np.flatnonzero(mask)[: limit - total])
            total += len(picked.t_ns)
            found.append(picked)
            day += 1
        return found

    def trades_before(
        self, pair: Pair, floor_ns: int, until_ns: int, limit: int
    ) -> list[DayTrades]:
        """The latest ``limit`` trades with ``floor_ns <= time <= until_ns``, oldest first."""
        found: list[DayTrades] = []
        total = 0
        day = until_ns // (86400 * NS)
        while total < limit and (day + 1) * 86400 * NS > floor_ns and day >= EPOCH_DAY:
            trades = self.day_trades(pair, day)
            mask = (trades.t_ns >= floor_ns) & (trades.t_ns <= until_ns)
            chosen = np.flatnonzero(mask)
            picked = _select(trades, chosen[max(0, len(chosen) - (limit - total)) :])
            total += len(picked.t_ns)
            found.insert(0, picked)
            day -= 1
        return found

    def mid(self, pair: Pair, now_ns: int) -> float:
        """The path price at ``now_ns`` (between minute boundaries, interpolated in log price)."""
        minute_ns = 60 * NS
        day, offset = divmod(now_ns, 86400 * NS)
        minute, within = divmod(offset, minute_ns)
        path = self.day_trades(pair, day).log_path
        frac = within / minute_ns
        return math.exp(path[minute] + frac * (path[minute + 1] - path[minute]))


# A 24 h window of whole minutes (Ticker's: 1,439 closed minutes and the running one) holds at
# least 23 whole clock hours and touches at most 25: a floor of min/23 and a ceiling of max/25 on
# every clock hour's volume keep every window in the pair's band, whatever the walk does.
_HOURS = 24
_WHOLE_HOURS_IN_WINDOW = 23
_HOURS_TOUCHED_BY_WINDOW = 25
_MARGIN = 1e-9  # float error of the hourly sums must not take a window just past a bound


def _a_trade_every_hour(counts: IntArray) -> IntArray:
    """Give each empty clock hour one trade, so a volume floor has a trade to scale."""
    empty = np.flatnonzero(counts.reshape(_HOURS, -1).sum(axis=1) == 0)
    counts = counts.copy()
    counts[empty * (MINUTES_PER_DAY // _HOURS)] = 1
    return counts


def _units_in_volume_band(
    pair: Pair, minute: IntArray, ticks: IntArray, units: IntArray
) -> IntArray:
    """Scale each clock hour's trade sizes into the pair's 24 h volume band (if it has one)."""
    low, high = pair.params.min_24h_volume, pair.params.max_24h_volume
    if low is None and high is None:
        return units
    hour = minute // (MINUTES_PER_DAY // _HOURS)
    quote_per_tick_lot = float(pair.tick) * float(pair.lot)
    volume = np.bincount(hour, weights=ticks * units, minlength=_HOURS) * quote_per_tick_lot
    factor = np.ones(_HOURS)
    if low is not None:
        floor = low / _WHOLE_HOURS_IN_WINDOW * (1 + _MARGIN)
        np.divide(floor, volume, out=factor, where=volume < floor)  # every hour has a trade
    if high is not None:
        ceiling = high / _HOURS_TOUCHED_BY_WINDOW * (1 - _MARGIN)
        np.divide(ceiling, volume, out=factor, where=volume > ceiling)
    scaled = units * factor[hour]
    # Up rounds up and down rounds down, so rounding to whole lots never undoes the bound.
    banded = np.where(factor[hour] > 1, np.ceil(scaled), np.maximum(np.floor(scaled), 1))
    return np.where(factor[hour] == 1, units, banded).astype(np.int64)


def _select(trades: DayTrades, index: IntArray) -> DayTrades:
    return DayTrades(
        day=trades.day,
        t_ns=trades.t_ns[index],
        ticks=trades.ticks[index],
        units=trades.units[index],
        buy=trades.buy[index],
        market=trades.market[index],
        minute=trades.minute[index],
        ids=trades.ids[index],
        offsets=trades.offsets,
        log_path=trades.log_path,
    )
