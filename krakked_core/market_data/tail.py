"""When to run the OHLC tail update of a timeframe, and which daily partition it fills."""

from datetime import UTC, date, datetime, timedelta

from krakked_core.market_data.ohlc_store import timeframe_seconds

# Cron for "every close" of each timeframe, at minute granularity (cron has no seconds).
_CLOSE_CRON = {
    "1m": "{m} * * * *",
    "5m": "{m}/5 * * * *",
    "15m": "{m}/15 * * * *",
    "1h": "{m} * * * *",
    "4h": "{m} */4 * * *",
    "1d": "{m} 0 * * *",
}


def tail_cron(timeframe: str, delay_seconds: int) -> str:
    """Cron that fires shortly after each close of ``timeframe`` (UTC).

    Cron counts minutes, so the delay is rounded up to whole minutes for timeframes of 5m and
    more; 1m runs every minute (its tail lands on the next run at the latest).
    """
    timeframe_seconds(timeframe)
    if timeframe == "1m":
        return "* * * * *"
    minute = min(4, -(-delay_seconds // 60))
    return _CLOSE_CRON[timeframe].format(m=minute)


def tail_partition_day(at: datetime, timeframe: str) -> date:
    """The UTC day holding the newest bar closed at ``at`` (the partition a tail run fills)."""
    seconds = timeframe_seconds(timeframe)
    epoch = int(at.timestamp())
    last_closed_open = epoch // seconds * seconds - seconds
    return datetime.fromtimestamp(last_closed_open, tz=UTC).date()


def day_bounds(day: date) -> tuple[int, int]:
    """``[start, end)`` of a UTC day in epoch seconds."""
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return int(start.timestamp()), int((start + timedelta(days=1)).timestamp())
