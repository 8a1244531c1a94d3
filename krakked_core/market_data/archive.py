"""Import Kraken's downloadable OHLCVT CSV archives into the OHLC store.

An archive is a zip or a folder holding one headerless CSV per pair and interval (read by
``connection/ohlcvt_archive.py``). Intervals the store does not keep (e.g. 720) and pairs outside
``pairs`` (when given) are skipped.
"""

import logging
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from krakked_core.connection.ohlcvt_archive import SkippedFile, archive_files
from krakked_core.market_data.ohlc_store import OhlcStore, timeframe_seconds
from krakked_core.model.market import Timeframe

logger = logging.getLogger(__name__)


@dataclass
class ImportReport:
    """Bars imported per (pair, timeframe), and files skipped with the reason."""

    imported: dict[tuple[str, Timeframe], int] = field(default_factory=dict)
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
    for member in archive_files(path):
        if isinstance(member, SkippedFile):
            report.skipped[member.name] = member.reason
            continue
        pair, timeframe = member.pair, member.timeframe
        if pairs is not None and pair not in pairs:
            report.skipped[member.name] = "pair not selected"
            continue
        bars = member.bars()
        written = store.append_bars(pair, timeframe, bars, "archive")
        if bars:
            seconds = timeframe_seconds(timeframe)
            store.record_coverage(pair, timeframe, bars[0].time, bars[-1].time + seconds, "archive")
        report.imported[(pair, timeframe)] = written
        logger.info("imported %d %s bars of %s from %s", written, timeframe, pair, member.name)
    return report
