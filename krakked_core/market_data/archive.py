"""Import Kraken's downloadable OHLCVT CSV archives into the OHLC store.

An archive is a zip or a folder holding one headerless CSV per pair and interval, named like
``XBTUSD_60.csv`` (rows ``timestamp,open,high,low,close,volume,trades``). Intervals the store
does not keep (e.g. 720) and pairs outside ``pairs`` (when given) are skipped. The archive has no
VWAP: see ``parse_ohlcvt_csv`` for how it is derived.
"""

import logging
import zipfile
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from krakked_core.connection.intervals import TIMEFRAME_OF_INTERVAL
from krakked_core.connection.parsers.market import ohlcvt_file_key, parse_ohlcvt_csv
from krakked_core.market_data.ohlc_store import OhlcStore

logger = logging.getLogger(__name__)


@dataclass
class ImportReport:
    """Bars imported per (pair, timeframe), and files skipped with the reason."""

    imported: dict[tuple[str, str], int] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def bars(self) -> int:
        return sum(self.imported.values())


def import_ohlcvt(
    path: Path, store: OhlcStore, pairs: Collection[str] | None = None
) -> ImportReport:
    """Import every usable CSV of a zip or folder; record the covered ranges as ``archive``."""
    if not path.exists():
        raise FileNotFoundError(f"no such archive: {path}")
    report = ImportReport()
    for name, read in _csv_members(path):
        key = ohlcvt_file_key(name)
        if key is None:
            report.skipped[name] = "not a PAIR_INTERVAL.csv file"
            continue
        pair, interval = key
        timeframe = TIMEFRAME_OF_INTERVAL.get(interval)
        if timeframe is None:
            report.skipped[name] = f"interval {interval} is not a stored timeframe"
            continue
        if pairs is not None and pair not in pairs:
            report.skipped[name] = "pair not selected"
            continue
        bars = parse_ohlcvt_csv(read(), name)
        written = store.append_bars(pair, timeframe, bars, "archive")
        if bars:
            seconds = interval * 60
            store.record_coverage(pair, timeframe, bars[0].time, bars[-1].time + seconds, "archive")
        report.imported[(pair, timeframe)] = written
        logger.info("imported %d %s bars of %s from %s", written, timeframe, pair, name)
    return report


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
