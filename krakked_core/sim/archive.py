"""Write the sandbox's history in the layout of Kraken's downloadable OHLCVT archives.

One headerless CSV per pair and interval, named ``<ALTNAME>_<minutes>.csv`` (``XBTUSD_60.csv``),
rows ``timestamp,open,high,low,close,volume,trades`` for the closed candles of the history
window. Like Kraken's archives (built from trades), intervals without a trade have no row.
"""

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from krakked_core.clock import ManualClock
from krakked_core.sim.exchange import Exchange
from krakked_core.sim.markets import Pair
from krakked_core.sim.prices import NS, Candles, ns_of
from krakked_core.sim.settings import SimSettings

ARCHIVE_INTERVALS = (1, 5, 15, 30, 60, 240, 720, 1440)


def export_archive(
    source: Exchange | SimSettings,
    out_dir: Path,
    now: datetime,
    *,
    pairs: Iterable[str] | None = None,
    intervals: Iterable[int] = ARCHIVE_INTERVALS,
) -> list[Path]:
    """Write one CSV per pair and interval into ``out_dir``; return the files written.

    From ``SimSettings`` the history is the ``history_days`` before ``now``; from an exchange it
    is that exchange's history window up to ``now``.
    """
    exchange = source if isinstance(source, Exchange) else _scratch_exchange(source, now)
    out_dir.mkdir(parents=True, exist_ok=True)
    chosen = (
        [exchange.markets.get(name) for name in pairs] if pairs else exchange.markets.pairs.values()
    )
    start_minute = ns_of(exchange.history_start) // (60 * NS)
    now_ns = ns_of(now)
    written = []
    for pair in chosen:
        minutes = exchange.minute_candles(pair.key, start_minute, now_ns)
        for interval in intervals:
            path = out_dir / f"{pair.altname}_{interval}.csv"
            _write(path, pair, minutes, interval, now_ns // (60 * NS))
            written.append(path)
    return written


def _scratch_exchange(settings: SimSettings, now: datetime) -> Exchange:
    return Exchange(
        settings.model_copy(update={"state_file": None, "starting_balances": {}}), ManualClock(now)
    )


def _write(path: Path, pair: Pair, minutes: Candles, interval: int, now_minute: int) -> None:
    first = -(-minutes.start_minute // interval) * interval  # whole buckets only
    rows = minutes.slice(first - minutes.start_minute, len(minutes))
    lines = []
    if len(rows):
        buckets = rows.aggregate(interval)
        for i in range(len(buckets)):
            begin = buckets.start_minute + i * interval
            if begin + interval > now_minute or not buckets.count[i]:
                continue  # the running candle is not history; empty intervals have no row
            prices = [
                pair.format_price(int(column[i]) * pair.tick)
                for column in (buckets.open, buckets.high, buckets.low, buckets.close)
            ]
            volume = pair.format_volume(int(buckets.units[i]) * pair.lot)
            lines.append(f"{begin * 60},{','.join(prices)},{volume},{int(buckets.count[i])}\n")
    tmp = path.with_suffix(".csv.tmp")
    tmp.write_text("".join(lines), encoding="ascii")
    tmp.replace(path)
