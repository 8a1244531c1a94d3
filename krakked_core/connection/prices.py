"""Prices from Kraken's public endpoints: the latest (``Ticker``, a ``PriceSource``) and at a
past moment (``OHLC``, a ``HistoricalPriceSource``).

``OHLC`` only ever returns the most recent 720 candles of an interval, so the finest interval
whose window still reaches back to the event (with a small margin) is used, and the event is
priced at the close of the candle containing it (or, when that candle had no trades, the last
close before it). When the reply still starts after the event (a clock that differs from the
exchange's, a fetch a little later), the next coarser interval is asked instead.

Only closed candles price an event: the close of the candle still forming changes until it
closes, and a stored value becomes permanent cost basis. An event in that candle raises
``PriceNotFinalError`` so the caller asks again once it has closed. Closed candles are fetched
once per (pair, interval) and kept for the life of the instance; a later event beyond what was
fetched asks again.
"""

import logging
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from krakked_core.clock import Clock
from krakked_core.connection.intervals import KRAKEN_INTERVAL, OHLC_WINDOW_ROWS
from krakked_core.connection.parsers.market import parse_ohlc, parse_ticker
from krakked_core.errors import (
    DataError,
    DataUnavailableError,
    InvalidArgumentsError,
    PriceNotFinalError,
    UnknownPairError,
    VenueError,
)
from krakked_core.model.market import Bar

logger = logging.getLogger(__name__)

# Kraken's OHLC intervals (minutes) finest first.
INTERVALS = tuple(sorted(KRAKEN_INTERVAL.values()))
# Rows of the window not relied on: the exchange's clock and ours, and the fetch, may differ.
MARGIN_ROWS = 2


class OhlcClient(Protocol):
    def ohlc(self, pair: str, interval: int, since: int | None = None) -> Any: ...


class TickerClient(Protocol):
    def ticker(self, pairs: Sequence[str]) -> Any: ...


class KrakenTickerPrices:
    """``PriceSource`` from Kraken's public ``Ticker`` (last trade price), one pair per call.

    Used where no live market data service is at hand (the CLI); venue failures become the
    DataErrors the portfolio treats as "unvalued".
    """

    def __init__(self, client: TickerClient) -> None:
        self._client = client

    def get_latest_price(self, pair: str) -> Decimal:
        try:
            stats = parse_ticker(self._client.ticker([pair]))
        except InvalidArgumentsError as exc:
            raise UnknownPairError(f"{pair}: {exc}") from exc
        except VenueError as exc:
            raise DataUnavailableError(f"{pair}: {type(exc).__name__}: {exc}") from exc
        if len(stats) != 1:
            raise UnknownPairError(f"{pair}: the ticker answered for {sorted(stats)}")
        return next(iter(stats.values())).last


@dataclass(frozen=True)
class _Candles:
    starts: list[int]  # epoch seconds of each closed candle's open, ascending
    closes: list[Decimal]
    forming: int | None  # open of the candle still forming: from here on nothing is final


def interval_for(at: datetime, now: datetime) -> int | None:
    """The finest interval whose latest 720 candles (less a margin) hold the event's candle."""
    at_s, now_s = int(at.timestamp()), int(now.timestamp())
    for minutes in INTERVALS:
        width = minutes * 60
        if at_s // width >= now_s // width - (OHLC_WINDOW_ROWS - 1 - MARGIN_ROWS):
            return minutes
    return None


class KrakenHistoricalPrices:
    """``HistoricalPriceSource`` over ``OHLC`` of Kraken (or the sandbox exchange)."""

    def __init__(self, client: OhlcClient, clock: Clock) -> None:
        self._client = client
        self._clock = clock
        self._cache: dict[tuple[str, int], _Candles | None] = {}

    def price_at(self, pair: str, at: datetime) -> Decimal | None:
        """The close at ``at``; None when unknown; ``PriceNotFinalError`` while still forming."""
        first = interval_for(at, self._clock.now())
        if first is not None:
            for minutes in INTERVALS[INTERVALS.index(first) :]:
                candles = self._candles(pair, minutes, at)
                if candles is None:
                    return None
                start = _start_of(at, minutes)
                if candles.forming is not None and start >= candles.forming:
                    raise PriceNotFinalError(f"{pair} at {at.isoformat()}: candle still forming")
                if candles.starts and start >= candles.starts[0]:
                    close = candles.closes[bisect_right(candles.starts, start) - 1]
                    return close if close > 0 else None
                # The reply starts after the event: a coarser interval reaches further back.
        logger.warning("no candles reach back to %s for %s", at.isoformat(), pair)
        return None

    def _candles(self, pair: str, minutes: int, at: datetime) -> _Candles | None:
        """Closed candles of the interval; fetched again once the event's candle may have closed."""
        key = (pair, minutes)
        if key in self._cache:
            candles = self._cache[key]
            forming = candles.forming if candles is not None else None
            if forming is None or _start_of(at, minutes) < forming:
                return candles
        candles = self._cache[key] = self._fetch(pair, minutes)
        return candles

    def _fetch(self, pair: str, minutes: int) -> _Candles | None:
        try:
            page = parse_ohlc(self._client.ohlc(pair, minutes))
        except (InvalidArgumentsError, DataError, TypeError) as exc:  # unknown pair, odd reply
            logger.warning("no OHLC for %s: %s", pair, type(exc).__name__)
            return None
        if not page.bars and page.running is None:
            return None
        bars: list[Bar] = page.bars
        forming = page.running.time if page.running is not None else None
        # Bars carry floats; repr gives back the exchange's shortest decimal spelling.
        return _Candles([b.time for b in bars], [Decimal(repr(b.close)) for b in bars], forming)


def _start_of(at: datetime, minutes: int) -> int:
    width = minutes * 60
    return int(at.timestamp()) // width * width
