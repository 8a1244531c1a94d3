"""When to run the OHLC tail update of a timeframe, which daily partitions it fills, and the
first day of the history kept.

1m runs every 10 minutes, not every minute: a run for a large universe takes one REST call per
pair (about a second each), REST's 720-bar window tolerates hours of lag, and ``get_ohlc`` serves
the newest closed bars from the sidecar meanwhile.
"""

from datetime import UTC, date, datetime, timedelta

from krakked_core.market_data.ohlc_store import timeframe_seconds
from krakked_core.model.market import Timeframe

# Cron for "every close" of each timeframe, at minute granularity (cron has no seconds).
_CLOSE_CRON = {
    "1m": "{m}/10 * * * *",
    "5m": "{m}/5 * * * *",
    "15m": "{m}/15 * * * *",
    "1h": "{m} * * * *",
    "4h": "{m} */4 * * *",
    "1d": "{m} 0 * * *",
}


TAIL_EVERY_SECONDS = {"1m": 600}  # other timeframes: once per close


def tail_every_seconds(timeframe: Timeframe) -> int:
    """How often the tail update of ``timeframe`` runs."""
    return TAIL_EVERY_SECONDS.get(timeframe, timeframe_seconds(timeframe))


def tail_cron(timeframe: Timeframe, delay_seconds: int) -> str:
    """Cron that fires shortly after each close of ``timeframe`` (1m: every 10 minutes), UTC.

    Cron counts minutes, so the delay is rounded up to whole minutes (at most 4).
    """
    timeframe_seconds(timeframe)
    minute = min(4, -(-delay_seconds // 60))
    return _CLOSE_CRON[timeframe].format(m=minute)


def tail_partition_days(at: datetime, timeframe: Timeframe) -> list[date]:
    """The UTC days of the bars closed since the previous tail run (usually one day; two when
    the bars since then cross midnight, so no partition misses its last bars)."""
    seconds = timeframe_seconds(timeframe)
    epoch = int(at.timestamp())
    previous = epoch - tail_every_seconds(timeframe)
    first_open = previous // seconds * seconds  # the first bar the previous run could not see
    last_open = epoch // seconds * seconds - seconds
    days = {_day(first_open), _day(max(first_open, last_open))}
    return sorted(days)


def _day(epoch: int) -> date:
    return datetime.fromtimestamp(epoch, tz=UTC).date()


def tail_partition_day(at: datetime, timeframe: Timeframe) -> date:
    """The UTC day holding the newest bar closed at ``at`` (the partition a tail run fills)."""
    seconds = timeframe_seconds(timeframe)
    epoch = int(at.timestamp())
    last_closed_open = epoch // seconds * seconds - seconds
    return datetime.fromtimestamp(last_closed_open, tz=UTC).date()


def first_history_day(history_days: int, now: datetime) -> date:
    """The first UTC day of the stored history: ``history_days`` days before today."""
    return now.astimezone(UTC).date() - timedelta(days=history_days)


def day_bounds(day: date) -> tuple[int, int]:
    """``[start, end)`` of a UTC day in epoch seconds."""
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return int(start.timestamp()), int((start + timedelta(days=1)).timestamp())
