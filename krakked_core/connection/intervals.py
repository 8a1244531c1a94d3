"""Kraken's OHLC ``interval`` (minutes) for each timeframe the system keeps, and back; and how
far back one ``OHLC`` reply reaches."""

from krakked_core.model.market import TIMEFRAME_SECONDS, Timeframe

KRAKEN_INTERVAL: dict[Timeframe, int] = {
    tf: seconds // 60 for tf, seconds in TIMEFRAME_SECONDS.items()
}
# ``OHLC`` only ever returns the most recent 720 candles of an interval.
OHLC_WINDOW_ROWS = 720
TIMEFRAME_OF_INTERVAL: dict[int, Timeframe] = {
    minutes: tf for tf, minutes in KRAKEN_INTERVAL.items()
}
