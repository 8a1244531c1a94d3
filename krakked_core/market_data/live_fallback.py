"""REST polling for live data the WebSocket does not deliver (silent channels, long outages).

Kraken's known failure: a subscription is acknowledged, heartbeats keep coming, and no data
does. The WS client marks such channels; this poller fetches them from REST and feeds the same
sink as the socket. Each poll makes one ``Ticker`` call for every pair needing it, then at most
``ohlc_per_poll`` ``OHLC`` calls (one per pair and timeframe), the least recently polled first:
at one public call a second, a long outage of a large universe still refreshes every ticker each
cycle, and every live bar in turn. REST calls are blocking (the shared rate limiter paces them)
and each runs in a daemon thread of its own: a stopping sidecar cancels the wait for a call in
flight and exits without joining the thread (``asyncio.to_thread`` would hold the exit until the
call timed out).
"""

import asyncio
import contextlib
import functools
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from krakked_core.clock import Clock
from krakked_core.errors import VenueError
from krakked_core.model.live import Quote
from krakked_core.model.market import TIMEFRAME_SECONDS, Bar, BarPage, TickerSnapshot, Timeframe
from krakked_core.model.pairs import PairMetadata
from krakked_core.ports import MarketGateway

logger = logging.getLogger(__name__)

# How many intervals back an OHLC poll asks for: the running bar and the one(s) it closed.
_OHLC_LOOKBACK_INTERVALS = 3
OHLC_PER_POLL = 3  # OHLC calls per poll cycle (round-robin over the keys needing REST)


class LiveSink(Protocol):
    """Where live data goes (the sidecar's cache)."""

    def on_ticker(self, snapshot: TickerSnapshot) -> None: ...

    def on_quote(self, quote: Quote) -> None:
        """``on_ticker`` for the stream's cheap form of a ticker (the WebSocket hot path)."""
        ...

    def on_bar(self, pair: str, timeframe: Timeframe, bar: Bar, *, revise: bool = False) -> None:
        """Take a candle; ``revise``: it is the exchange's settled view (snapshot, REST)."""
        ...


@dataclass
class FallbackCounters:
    polls: int = 0  # REST calls completed (answered or failed)
    errors: int = 0  # REST calls that failed


class RestFallback:
    """Poll REST for the given pairs/timeframes and feed the results to ``sink``."""

    def __init__(
        self,
        rest: MarketGateway,
        pairs: Sequence[PairMetadata],
        clock: Clock,
        sink: LiveSink,
        *,
        ohlc_per_poll: int = OHLC_PER_POLL,
    ) -> None:
        if ohlc_per_poll < 1:
            raise ValueError("ohlc_per_poll must be at least 1")
        self._rest = rest
        self._clock = clock
        self._sink = sink
        self._ohlc_per_poll = ohlc_per_poll
        self._pairs: Mapping[str, PairMetadata] = {}
        self.set_pairs(pairs)
        self._ohlc_polled: dict[
            tuple[str, Timeframe], int
        ] = {}  # key → poll cycle it was last fetched
        self._cycle = 0
        self.counters = FallbackCounters()
        self.rest_ok: bool | None = None  # None: not tried yet

    def set_pairs(self, pairs: Sequence[PairMetadata]) -> None:
        """The pairs tickers are asked for (the universe may change while running)."""
        self._pairs = {meta.canonical: meta for meta in pairs}

    async def poll(
        self, ticker_pairs: Sequence[str], ohlc_keys: Sequence[tuple[str, Timeframe]]
    ) -> None:
        """Fetch tickers of ``ticker_pairs`` (one call) and the live bars of a few of the
        ``(pair, timeframe)`` keys, those polled longest ago first."""
        self._cycle += 1
        wanted = [self._pairs[pair] for pair in ticker_pairs if pair in self._pairs]
        if wanted:
            tickers = await self._call("Ticker", self._rest.tickers, wanted)
            if tickers is not None:
                self._feed("Ticker", self._feed_tickers, tickers)
        for pair, timeframe in self._next_ohlc_keys(ohlc_keys):
            self._ohlc_polled[(pair, timeframe)] = self._cycle
            since = int(self._clock.now().timestamp())
            since -= _OHLC_LOOKBACK_INTERVALS * TIMEFRAME_SECONDS[timeframe]
            page = await self._call("OHLC", self._rest.bars, pair, timeframe, since)
            if page is not None:
                self._feed("OHLC", self._feed_ohlc, pair, timeframe, page)

    def _next_ohlc_keys(self, keys: Sequence[tuple[str, Timeframe]]) -> list[tuple[str, Timeframe]]:
        """Round-robin: the ``ohlc_per_poll`` keys fetched longest ago (never fetched first)."""
        order = sorted(dict.fromkeys(keys), key=lambda key: (self._ohlc_polled.get(key, 0), key))
        return order[: self._ohlc_per_poll]

    async def probe(self) -> None:
        """Check that REST answers at all (for the feed status)."""
        await self._call("Time", self._rest.check_reachable)

    async def _call(self, what: str, fn: Any, *args: Any) -> Any:
        try:
            result = await in_daemon_thread(fn, *args)
        except VenueError as exc:
            self.counters.errors += 1
            self.rest_ok = False
            logger.warning("REST %s failed: %s", what, exc, extra={"error": type(exc).__name__})
            return None
        except (TypeError, ValueError) as exc:  # it answered, but not in the endpoint's shape
            self.rest_ok = True
            self._unusable(what, exc)
            return None
        finally:
            self.counters.polls += 1  # counted once done, so a reader sees its effect
        self.rest_ok = True
        return result

    def _feed(self, what: str, feed: Callable[..., None], *args: Any) -> None:
        """Hand a REST answer to the sink; an answer of the wrong shape is logged, not fatal."""
        try:
            feed(*args)
        except (TypeError, ValueError) as exc:  # ValidationError is a ValueError
            self._unusable(what, exc)

    def _unusable(self, what: str, exc: Exception) -> None:
        self.counters.errors += 1
        logger.warning("REST %s answer unusable: %s", what, str(exc)[:200])

    def _feed_tickers(self, tickers: Mapping[str, TickerSnapshot]) -> None:
        for snapshot in tickers.values():
            self._sink.on_ticker(snapshot)

    def _feed_ohlc(self, pair: str, timeframe: Timeframe, page: BarPage) -> None:
        for bar in page.bars:  # committed candles: they settle what the socket left partial
            self._sink.on_bar(pair, timeframe, bar, revise=True)
        if page.running is not None:
            self._sink.on_bar(pair, timeframe, page.running)


async def in_daemon_thread(fn: Callable[..., Any], *args: Any) -> Any:
    """Run blocking ``fn(*args)`` in a daemon thread and await its result (cancellable)."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[Any] = loop.create_future()

    def work() -> None:
        try:
            outcome = functools.partial(_settle, future, fn(*args), None)
        except Exception as exc:  # noqa: BLE001 - handed to the awaiting task
            outcome = functools.partial(_settle, future, None, exc)
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits any more
            loop.call_soon_threadsafe(outcome)

    threading.Thread(
        target=work, name=f"krakked-{getattr(fn, '__name__', 'call')}", daemon=True
    ).start()
    return await future


def _settle(future: asyncio.Future[Any], result: Any, error: Exception | None) -> None:
    if future.done():  # the waiter was cancelled meanwhile
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
