"""Closed candles for strategy and risk tests: a CandleSource over fixed bars, and bar builders."""

from collections.abc import Mapping, Sequence

from krakked_core.errors import InsufficientDataError, UnknownPairError
from krakked_core.model.market import TIMEFRAME_SECONDS, Bar

# A fixed epoch (2023-11-14 22:00 UTC, on an hour): tests never read the wall clock.
T0 = 1_699_999_200


class FakeCandles:
    """A CandleSource over given bars per (pair, timeframe); records what was asked."""

    def __init__(self, bars: Mapping[tuple[str, str], Sequence[Bar]]) -> None:
        self._bars = {key: list(value) for key, value in bars.items()}
        self.requests: list[tuple[str, str, int]] = []

    def get_ohlc(self, pair: str, timeframe: str, lookback: int) -> list[Bar]:
        self.requests.append((pair, timeframe, lookback))
        if (pair, timeframe) not in self._bars:
            raise UnknownPairError(f"{pair} {timeframe}: no bars")
        bars = self._bars[(pair, timeframe)]
        if len(bars) < lookback:
            raise InsufficientDataError(f"{pair}: {len(bars)} bars, {lookback} asked")
        return bars[-lookback:]


def bars_from_closes(
    closes: Sequence[float],
    *,
    timeframe: str = "1h",
    start: int = T0,
    half_range: float = 0.0,
    volume: float = 1.0,
) -> list[Bar]:
    """Return consecutive bars closing at ``closes`` (open = previous close, high/low ± range)."""
    step = TIMEFRAME_SECONDS[timeframe]
    bars = []
    previous = closes[0]
    for index, close in enumerate(closes):
        bars.append(
            Bar(
                time=start + index * step,
                open=previous,
                high=max(previous, close) + half_range,
                low=min(previous, close) - half_range,
                close=close,
                vwap=close,
                volume=volume,
                count=1,
            )
        )
        previous = close
    return bars


def flat_bars(
    count: int, *, close: float, true_range: float, end: int, timeframe: str = "1h"
) -> list[Bar]:
    """Return ``count`` bars all closing at ``close`` with high - low = ``true_range``.

    Every true range is exactly ``true_range``, so the ATR is too. The last bar closes at ``end``.
    """
    step = TIMEFRAME_SECONDS[timeframe]
    half = true_range / 2
    first = end - count * step
    return [
        Bar(
            time=first + index * step,
            open=close,
            high=close + half,
            low=close - half,
            close=close,
            vwap=close,
            volume=10.0,
            count=1,
        )
        for index in range(count)
    ]
