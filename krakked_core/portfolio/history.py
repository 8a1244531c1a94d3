"""Prices at a past moment from Kraken's public ``OHLC`` (``HistoricalPriceSource``).

``OHLC`` only ever returns the most recent 720 candles of an interval, so the finest interval
whose window still reaches back to the event is used, and the event is priced at the close of the
candle containing it (or, when that candle had no trades, the last close before it). Candles are
fetched once per (pair, interval) and kept for the life of the instance; a later event beyond
what was fetched asks again.
"""

import logging
from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from krakked_core.clock import Clock
from krakked_core.connection.parsers.market import parse_ohlc
from krakked_core.errors import DataError, InvalidArgumentsError
from krakked_core.model.market import Bar

logger = logging.getLogger(__name__)

# Kraken's OHLC intervals (minutes) finest first, and how many rows one reply holds.
INTERVALS = (1, 5, 15, 60, 240, 1440)
WINDOW_ROWS = 720


class OhlcClient(Protocol):
    def ohlc(self, pair: str, interval: int, since: int | None = None) -> Any: ...


@dataclass(frozen=True)
class _Candles:
    starts: list[int]  # epoch seconds of each candle's open, ascending
    closes: list[Decimal]


def interval_for(at: datetime, now: datetime) -> int | None:
    """The finest interval whose latest 720 candles include the candle containing ``at``."""
    at_s, now_s = int(at.timestamp()), int(now.timestamp())
    for minutes in INTERVALS:
        width = minutes * 60
        if at_s // width >= now_s // width - (WINDOW_ROWS - 1):
            return minutes
    return None


class KrakenHistoricalPrices:
    """``HistoricalPriceSource`` over ``OHLC`` of Kraken (or the sandbox exchange)."""

    def __init__(self, client: OhlcClient, clock: Clock) -> None:
        self._client = client
        self._clock = clock
        self._cache: dict[tuple[str, int], _Candles | None] = {}

    def price_at(self, pair: str, at: datetime) -> Decimal | None:
        minutes = interval_for(at, self._clock.now())
        if minutes is None:
            logger.warning("no candles reach back to %s for %s", at.isoformat(), pair)
            return None
        start = int(at.timestamp()) // (minutes * 60) * (minutes * 60)
        candles = self._cache.get((pair, minutes))
        if (pair, minutes) not in self._cache or (candles and start > candles.starts[-1]):
            candles = self._cache[(pair, minutes)] = self._fetch(pair, minutes)
        if not candles:
            return None
        index = bisect_right(candles.starts, start) - 1  # the candle at ``start`` or before it
        if index < 0 or candles.closes[index] <= 0:
            return None
        return candles.closes[index]

    def _fetch(self, pair: str, minutes: int) -> _Candles | None:
        try:
            page = parse_ohlc(self._client.ohlc(pair, minutes))
        except (InvalidArgumentsError, DataError, TypeError) as exc:  # unknown pair, odd reply
            logger.warning("no OHLC for %s: %s", pair, type(exc).__name__)
            return None
        bars: list[Bar] = [*page.bars, *([page.running] if page.running else [])]
        if not bars:
            return None
        # Bars carry floats; repr gives back the exchange's shortest decimal spelling.
        return _Candles([b.time for b in bars], [Decimal(repr(b.close)) for b in bars])
