"""Closed OHLC candles in Parquet (polars), one file per timeframe, pair and month.

Layout: ``<root>/<timeframe>/<pair>/<YYYY-MM>.parquet`` plus ``<root>/<timeframe>/<pair>/
coverage.json``, which records which source (``rest_ohlc``, ``archive``, ``trades``) filled which
time range — including ranges that had no trades and so hold no bars. Appending the newest bars
rewrites only the current month's file.

Writes are idempotent (one bar per open time; on a clash the better source wins — REST over the
archive over bars rebuilt from trades — and between equals the newer write), ordered, and atomic:
a temp file renamed over the old one under a per-pair file lock, so concurrent Dagster runs for
days of the same month never lose each other's bars and a crash leaves the previous file intact.
Only closed candles (open time + interval ≤ now) are stored or returned.
"""

import json
import logging
import os
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import polars as pl
from filelock import FileLock

from krakked_core.clock import Clock
from krakked_core.model.market import TIMEFRAME_SECONDS, Bar, Timeframe

logger = logging.getLogger(__name__)

Source = Literal["trades", "archive", "rest_ohlc"]
SOURCE_PRIORITY: dict[str, int] = {"trades": 1, "archive": 2, "rest_ohlc": 3}

BAR_SCHEMA: dict[str, pl.DataType] = {
    "time": pl.Int64(),
    "open": pl.Float64(),
    "high": pl.Float64(),
    "low": pl.Float64(),
    "close": pl.Float64(),
    "vwap": pl.Float64(),
    "volume": pl.Float64(),
    "count": pl.Int64(),
    "source": pl.String(),
}
BAR_FIELDS = ("time", "open", "high", "low", "close", "vwap", "volume", "count")
_SAFE_NAME = re.compile(r"^[A-Za-z0-9._-]+$")
_MONTH_FILE = re.compile(r"^\d{4}-\d{2}\.parquet$")


@dataclass(frozen=True)
class Coverage:
    """``[start, end)`` in epoch seconds, filled from ``source``."""

    start: int
    end: int
    source: str


def timeframe_seconds(timeframe: Timeframe) -> int:
    """Seconds in a timeframe label; ValueError naming the supported ones otherwise."""
    try:
        return TIMEFRAME_SECONDS[timeframe]
    except KeyError:
        supported = ", ".join(TIMEFRAME_SECONDS)
        raise ValueError(f"unknown timeframe {timeframe!r} (supported: {supported})") from None


class OhlcStore:
    """The file-backed store of closed candles, behind a small API of Python values."""

    def __init__(self, root: Path, clock: Clock) -> None:
        self._root = root
        self._clock = clock

    @property
    def root(self) -> Path:
        return self._root

    # --- writing ----------------------------------------------------------------------------

    def append_bars(
        self, pair: str, timeframe: Timeframe, bars: Iterable[Bar], source: Source
    ) -> int:
        """Store closed, aligned bars (running or misaligned ones are dropped); return the count."""
        frame = self._closed_aligned_frame(pair, timeframe, list(bars), source)
        if frame.is_empty():
            return 0
        months = frame.with_columns(_month_expr().alias("_month")).partition_by(
            "_month", as_dict=True, include_key=False
        )
        with self._locked(pair, timeframe):
            for (month,), part in sorted(months.items(), key=lambda item: str(item[0])):
                self._merge_month(self._month_file(pair, timeframe, str(month)), part)
        return frame.height

    def record_coverage(
        self, pair: str, timeframe: Timeframe, start: int, end: int, source: Source
    ) -> None:
        """Note that ``[start, end)`` was filled from ``source`` (even where it had no trades)."""
        if end <= start:
            return
        with self._locked(pair, timeframe):
            ranges = self._read_coverage(pair, timeframe)
            ranges.append(Coverage(start, end, source))
            self._write_coverage(pair, timeframe, _merge_ranges(ranges))

    # --- reading ----------------------------------------------------------------------------

    def get_bars(
        self, pair: str, timeframe: Timeframe, start: int | None = None, end: int | None = None
    ) -> list[Bar]:
        """Closed bars with ``start ≤ time < end`` (either bound optional), oldest → newest."""
        frame = self.frame(pair, timeframe, start, end)
        return _bars_from_frame(frame)

    def get_last_bars(self, pair: str, timeframe: Timeframe, count: int) -> list[Bar]:
        """The newest ``count`` closed bars (fewer when fewer are stored), oldest → newest."""
        if count <= 0:
            return []
        parts: list[pl.DataFrame] = []
        have = 0
        for path in reversed(self._month_files(pair, timeframe)):
            part = self._closed(pl.read_parquet(path), timeframe)
            parts.append(part)
            have += part.height
            if have >= count:
                break
        if not parts:
            return []
        frame = pl.concat(list(reversed(parts))).sort("time").tail(count)
        return _bars_from_frame(frame)

    def frame(
        self, pair: str, timeframe: Timeframe, start: int | None = None, end: int | None = None
    ) -> pl.DataFrame:
        """Stored rows (with ``source``) in ``[start, end)`` as a DataFrame, sorted by time."""
        return self._closed(self.raw_frame(pair, timeframe, start, end), timeframe).sort("time")

    def raw_frame(
        self, pair: str, timeframe: Timeframe, start: int | None = None, end: int | None = None
    ) -> pl.DataFrame:
        """The rows exactly as the files hold them (no closed-bar filter, no sort): for checks."""
        files = self._month_files(pair, timeframe, start, end)
        if not files:
            return pl.DataFrame(schema=BAR_SCHEMA)
        lazy = pl.scan_parquet(files)
        if start is not None:
            lazy = lazy.filter(pl.col("time") >= start)
        if end is not None:
            lazy = lazy.filter(pl.col("time") < end)
        return lazy.collect()

    def newest_time(self, pair: str, timeframe: Timeframe) -> int | None:
        """Open time of the newest stored bar (None: nothing stored)."""
        for path in reversed(self._month_files(pair, timeframe)):
            part = self._closed(pl.read_parquet(path, columns=["time"]), timeframe)
            if part.height:
                return int(part["time"].max())  # type: ignore[arg-type]
        return None

    def oldest_time(self, pair: str, timeframe: Timeframe) -> int | None:
        """Open time of the oldest stored bar (None: nothing stored)."""
        for path in self._month_files(pair, timeframe):
            part = pl.read_parquet(path, columns=["time"])
            if part.height:
                return int(part["time"].min())  # type: ignore[arg-type]
        return None

    def pairs(self, timeframe: Timeframe) -> list[str]:
        """Pairs with anything stored for ``timeframe``."""
        directory = self._root / timeframe
        if not directory.is_dir():
            return []
        return sorted(p.name for p in directory.iterdir() if p.is_dir() and self._month_files_in(p))

    def coverage(self, pair: str, timeframe: Timeframe) -> list[Coverage]:
        """Recorded fills for a pair and timeframe, merged per source, by start."""
        return self._read_coverage(pair, timeframe)

    def uncovered(
        self, pair: str, timeframe: Timeframe, start: int, end: int
    ) -> list[tuple[int, int]]:
        """Parts of ``[start, end)`` that no source has filled yet."""
        gaps: list[tuple[int, int]] = []
        cursor = start
        for cov in _merge_ranges(
            [Coverage(c.start, c.end, "any") for c in self._read_coverage(pair, timeframe)]
        ):
            if cov.end <= cursor or cov.start >= end:
                continue
            if cov.start > cursor:
                gaps.append((cursor, min(cov.start, end)))
            cursor = max(cursor, cov.end)
        if cursor < end:
            gaps.append((cursor, end))
        return gaps

    # --- internals --------------------------------------------------------------------------

    def _closed_aligned_frame(
        self, pair: str, timeframe: Timeframe, bars: Sequence[Bar], source: str
    ) -> pl.DataFrame:
        seconds = timeframe_seconds(timeframe)
        _check_name(pair)
        if source not in SOURCE_PRIORITY:
            raise ValueError(f"unknown OHLC source {source!r}")
        rows = [{**bar.model_dump(), "source": source} for bar in bars]
        frame = pl.DataFrame(rows, schema=BAR_SCHEMA) if rows else pl.DataFrame(schema=BAR_SCHEMA)
        aligned = frame.filter(pl.col("time") % seconds == 0)
        if aligned.height < frame.height:
            logger.warning(
                "dropped %d bar(s) not aligned to %s for %s",
                frame.height - aligned.height,
                timeframe,
                pair,
                extra={"pair": pair, "timeframe": timeframe},
            )
        closed = self._closed(aligned, timeframe)
        if closed.height < aligned.height:
            logger.debug(
                "dropped %d running bar(s) for %s %s",
                aligned.height - closed.height,
                pair,
                timeframe,
            )
        return closed.unique(subset="time", keep="last", maintain_order=True)

    def _closed(self, frame: pl.DataFrame, timeframe: Timeframe) -> pl.DataFrame:
        now = int(self._clock.now().timestamp())
        return frame.filter(pl.col("time") + timeframe_seconds(timeframe) <= now)

    def _merge_month(self, path: Path, new: pl.DataFrame) -> None:
        rank = pl.col("source").replace_strict(SOURCE_PRIORITY, return_dtype=pl.Int64) * 2
        parts = [new.with_columns((rank + 1).alias("_rank"))]
        if path.exists():
            parts.append(pl.read_parquet(path).with_columns(rank.alias("_rank")))
        merged = (
            pl.concat(parts, how="vertical")
            .sort(["time", "_rank"])
            .unique(subset="time", keep="last", maintain_order=True)
            .drop("_rank")
            .sort("time")
        )
        _atomic_write_parquet(merged, path)

    def _pair_dir(self, pair: str, timeframe: Timeframe) -> Path:
        timeframe_seconds(timeframe)
        return self._root / timeframe / _check_name(pair)

    def _month_file(self, pair: str, timeframe: Timeframe, month: str) -> Path:
        return self._pair_dir(pair, timeframe) / f"{month}.parquet"

    def _month_files(
        self, pair: str, timeframe: Timeframe, start: int | None = None, end: int | None = None
    ) -> list[Path]:
        files = self._month_files_in(self._pair_dir(pair, timeframe))
        first = _month_of(start) if start is not None else ""
        last = _month_of(end - 1) if end is not None else "9999-99"
        return [path for path in files if first <= path.stem <= last]

    @staticmethod
    def _month_files_in(directory: Path) -> list[Path]:
        if not directory.is_dir():
            return []
        return sorted(p for p in directory.iterdir() if _MONTH_FILE.match(p.name))

    @contextmanager
    def _locked(self, pair: str, timeframe: Timeframe) -> Iterator[None]:
        directory = self._pair_dir(pair, timeframe)
        directory.mkdir(parents=True, exist_ok=True)
        with FileLock(str(directory / ".lock"), timeout=120):
            yield

    def _coverage_file(self, pair: str, timeframe: Timeframe) -> Path:
        return self._pair_dir(pair, timeframe) / "coverage.json"

    def _read_coverage(self, pair: str, timeframe: Timeframe) -> list[Coverage]:
        path = self._coverage_file(pair, timeframe)
        if not path.exists():
            return []
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            return [Coverage(int(r["start"]), int(r["end"]), str(r["source"])) for r in raw]
        except (ValueError, KeyError, TypeError) as exc:
            logger.warning("unreadable coverage record %s (%s): treated as empty", path, exc)
            return []

    def _write_coverage(self, pair: str, timeframe: Timeframe, ranges: list[Coverage]) -> None:
        text = json.dumps([asdict(r) for r in ranges], indent=1)
        _atomic_write_text(text, self._coverage_file(pair, timeframe))


def _check_name(pair: str) -> str:
    if not _SAFE_NAME.match(pair):
        raise ValueError(f"not a pair name usable in the OHLC store: {pair!r}")
    return pair


def _month_of(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m")


def _month_expr() -> pl.Expr:
    return pl.from_epoch(pl.col("time"), time_unit="s").dt.strftime("%Y-%m")


def _bars_from_frame(frame: pl.DataFrame) -> list[Bar]:
    # Rows were validated as Bars before they were written; skip re-validation on the read path.
    return [Bar.model_construct(**row) for row in frame.select(BAR_FIELDS).iter_rows(named=True)]


def _merge_ranges(ranges: list[Coverage]) -> list[Coverage]:
    """Merge overlapping or touching ranges of the same source."""
    merged: list[Coverage] = []
    for source in sorted({r.source for r in ranges}):
        current: Coverage | None = None
        for r in sorted((r for r in ranges if r.source == source), key=lambda r: r.start):
            if current is not None and r.start <= current.end:
                current = Coverage(current.start, max(current.end, r.end), source)
                continue
            if current is not None:
                merged.append(current)
            current = r
        if current is not None:
            merged.append(current)
    return sorted(merged, key=lambda r: (r.start, r.source))


def _atomic_write_parquet(frame: pl.DataFrame, path: Path) -> None:
    with _temp_beside(path) as temp:
        frame.write_parquet(temp)
        _replace_durably(temp, path)


def _atomic_write_text(text: str, path: Path) -> None:
    with _temp_beside(path) as temp:
        temp.write_text(text, encoding="utf-8")
        _replace_durably(temp, path)


def _replace_durably(temp: Path, path: Path) -> None:
    """Rename ``temp`` over ``path`` so that a crash or power loss leaves the old file or the
    whole new one: the data reaches the disk before the rename, the rename before we return."""
    _fsync(temp, os.O_RDONLY)
    os.replace(temp, path)
    _fsync(path.parent, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))


def _fsync(path: Path, flags: int) -> None:
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def _temp_beside(path: Path) -> Iterator[Path]:
    """A temp file in ``path``'s directory (same filesystem, so the rename is atomic)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    temp = Path(name)
    try:
        yield temp
    finally:
        temp.unlink(missing_ok=True)
