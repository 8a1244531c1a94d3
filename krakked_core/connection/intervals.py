"""Kraken's OHLC ``interval`` (minutes) for each timeframe the system keeps, and back."""

from krakked_core.model.market import TIMEFRAME_SECONDS, Timeframe

KRAKEN_INTERVAL: dict[Timeframe, int] = {
    tf: seconds // 60 for tf, seconds in TIMEFRAME_SECONDS.items()
}
TIMEFRAME_OF_INTERVAL: dict[int, Timeframe] = {
    minutes: tf for tf, minutes in KRAKEN_INTERVAL.items()
}
