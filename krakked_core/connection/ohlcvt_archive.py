"""Kraken's downloadable OHLCVT archives: a zip or a folder of ``PAIR_INTERVAL.csv`` files.

Each file says which pair and timeframe it holds, or why it cannot be used (another name, an
interval the store does not keep, e.g. 720); its bars are read only when asked for.
"""

import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from krakked_core.connection.intervals import TIMEFRAME_OF_INTERVAL
from krakked_core.connection.parsers.market import ohlcvt_file_key, parse_ohlcvt_csv
from krakked_core.model.market import Bar, Timeframe


@dataclass(frozen=True)
class ArchiveFile:
    """One usable CSV of an archive: the pair and timeframe it holds."""

    name: str
    pair: str
    timeframe: Timeframe
    read: Callable[[], bytes]

    def bars(self) -> list[Bar]:
        """The file's bars (see ``parse_ohlcvt_csv`` for the VWAP the archive lacks)."""
        return parse_ohlcvt_csv(self.read(), self.name)


@dataclass(frozen=True)
class SkippedFile:
    """A CSV of an archive that cannot be imported, and why."""

    name: str
    reason: str


def archive_files(path: Path) -> Iterator[ArchiveFile | SkippedFile]:
    """Every CSV of the zip or folder at ``path``, in name order."""
    for name, read in _csv_members(path):
        key = ohlcvt_file_key(name)
        if key is None:
            yield SkippedFile(name, "not a PAIR_INTERVAL.csv file")
            continue
        pair, interval = key
        timeframe = TIMEFRAME_OF_INTERVAL.get(interval)
        if timeframe is None:
            yield SkippedFile(name, f"interval {interval} is not a stored timeframe")
        else:
            yield ArchiveFile(name, pair, timeframe, read)


def _csv_members(path: Path) -> Iterator[tuple[str, Callable[[], bytes]]]:
    if path.is_dir():
        for file in sorted(path.rglob("*.csv")):
            yield file.name, file.read_bytes
        return
    with zipfile.ZipFile(path) as archive:
        for info in sorted(archive.infolist(), key=lambda i: i.filename):
            if info.is_dir() or not info.filename.endswith(".csv"):
                continue
            yield Path(info.filename).name, partial(archive.read, info)
