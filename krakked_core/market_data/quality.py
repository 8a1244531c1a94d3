"""Quality of stored OHLC history: what the Dagster asset checks ask of a range of bars.

Each function reads the files as they are (not through the store's closed-bar filter), so a
check fails when something wrote a bad bar, instead of the reader hiding it.
"""

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from krakked_core.market_data.ohlc_store import OhlcStore, timeframe_seconds
from krakked_core.model.market import Timeframe
from krakked_core.ports import LiveMarketData

# Live (WebSocket) and REST bars agree when every value is within this relative difference.
AGREEMENT_TOLERANCE = 1e-6

_RowFilter = Callable[[pl.DataFrame], pl.DataFrame]


@dataclass(frozen=True)
class BarRange:
    """Which stored bars to inspect: ``[start, end)`` of one timeframe for some pairs."""

    pairs: tuple[str, ...]
    timeframe: Timeframe
    start: int
    end: int


@dataclass(frozen=True)
class RangeFindings:
    """Per pair, how many bars of the range break a rule (only pairs with findings)."""

    rows: int
    by_pair: dict[str, int]

    @property
    def ok(self) -> bool:
        return not self.by_pair

    @property
    def total(self) -> int:
        return sum(self.by_pair.values())


def duplicate_bars(store: OhlcStore, rng: BarRange) -> RangeFindings:
    """Bars whose open time occurs more than once."""
    return _scan(store, rng, _duplicates)


def running_bars(store: OhlcStore, rng: BarRange, now: int) -> RangeFindings:
    """Bars that had not closed at ``now`` (open time + interval > now)."""
    seconds = timeframe_seconds(rng.timeframe)
    return _scan(store, rng, lambda f: f.filter(pl.col("time") + seconds > now))


def misaligned_bars(store: OhlcStore, rng: BarRange) -> RangeFindings:
    """Bars whose open time is not a multiple of the timeframe."""
    seconds = timeframe_seconds(rng.timeframe)
    return _scan(store, rng, lambda f: f.filter(pl.col("time") % seconds != 0))


def lagging_pairs(
    store: OhlcStore, rng: BarRange, now: int, allowed_lag_bars: int = 1
) -> RangeFindings:
    """Pairs whose stored history of the range ends more than allowed before its last closed
    interval: the lag in bars (the whole range's bar count when it holds nothing).

    History reaches the end of its newest bar, or of a range a source filled (archives and
    trades have no bar for an interval without trades: that is no lag).
    """
    seconds = timeframe_seconds(rng.timeframe)
    closed_end = min(rng.end, now // seconds * seconds)
    lag: dict[str, int] = {}
    rows = 0
    if closed_end <= rng.start:
        return RangeFindings(rows=0, by_pair={})
    for pair in rng.pairs:
        frame = store.raw_frame(pair, rng.timeframe, rng.start, rng.end)
        rows += frame.height
        ends = [int(frame["time"].max()) + seconds] if frame.height else []  # type: ignore[arg-type]
        ends += [
            min(c.end, rng.end)
            for c in store.coverage(pair, rng.timeframe)
            if c.start < rng.end and c.end > rng.start
        ]
        behind = (closed_end - max([rng.start, *ends])) // seconds
        if behind > allowed_lag_bars or not ends:
            lag[pair] = behind
    return RangeFindings(rows=rows, by_pair=lag)


def live_disagreements(
    store: OhlcStore, live: LiveMarketData, rng: BarRange
) -> tuple[int, RangeFindings]:
    """Compare REST-stored bars with the closed bars the sidecar published for the same times.

    Returns how many bars were compared, and per pair how many differed beyond the tolerance.
    """
    compared, differing, rows = 0, {}, 0
    for pair in rng.pairs:
        stored = store.raw_frame(pair, rng.timeframe, rng.start, rng.end).filter(
            pl.col("source") == "rest_ohlc"
        )
        rows += stored.height
        published = live.closed_bars_since(pair, rng.timeframe, rng.start - 1)
        live_bars = {bar.time: bar for bar in published}
        bad = 0
        for row in stored.iter_rows(named=True):
            bar = live_bars.get(row["time"])
            if bar is None:
                continue
            compared += 1
            if not all(_close(row[f], getattr(bar, f)) for f in _COMPARED):
                bad += 1
        if bad:
            differing[pair] = bad
    return compared, RangeFindings(rows=rows, by_pair=differing)


_COMPARED = ("open", "high", "low", "close", "volume", "count")


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= AGREEMENT_TOLERANCE * max(abs(a), abs(b), 1e-12)


def _duplicates(frame: pl.DataFrame) -> pl.DataFrame:
    counts = frame.group_by("time").len()
    return counts.filter(pl.col("len") > 1)


def _scan(store: OhlcStore, rng: BarRange, bad_rows: _RowFilter) -> RangeFindings:
    rows, found = 0, {}
    for pair in rng.pairs:
        frame = store.raw_frame(pair, rng.timeframe, rng.start, rng.end)
        rows += frame.height
        bad = bad_rows(frame).height
        if bad:
            found[pair] = bad
    return RangeFindings(rows=rows, by_pair=found)
