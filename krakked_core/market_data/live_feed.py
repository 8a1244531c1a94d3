"""The live feed: ``ticker`` and ``ohlc`` of the universe from a WebSocket session into a sink,
with a watchdog for silent channels and a REST fallback for what the socket does not deliver.

- Subscribes every pair of the universe, per channel and (for ohlc) per timeframe, whenever
  the session (re)opens a connection.
- Channel watchdog: Kraken can acknowledge a subscription and then send nothing while heartbeats
  flow. A channel is judged by what it can expect, since an ohlc channel sends only when a trade
  happens (a quiet 1d candle of a thin pair is normal, not silence). Within
  ``silent_channel_seconds`` a channel is due: its snapshot after a subscribe; and data after
  another channel of its pair told of a trade it has not told (a new last price: the ticker's
  ``last`` and every running candle's close are the same last trade). Beyond that, a channel
  is silent only when its whole pair is: nothing on any of its channels for the bound.
  Silent channels are resubscribed and served from REST until WebSocket data flows again; the
  log says when channels turn silent, not each time they are resubscribed.
- Durations (watchdog, the REST fallback's pacing) run on the monotonic clock, so a wall clock
  set back or forward neither blinds them nor sets them off.
- ``set_pairs`` changes the streamed pairs while running (subscribe/unsubscribe the difference).

The session (Kraken's socket, framing and symbols) sits behind ``LiveSession``; the feed speaks
canonical pairs and domain values only.
"""

import asyncio
import contextlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from krakked_core.clock import MonotonicClock
from krakked_core.config import WsConfig
from krakked_core.errors import NetworkError
from krakked_core.market_data.live_fallback import LiveSink, RestFallback
from krakked_core.model.live import ChannelKey, Quote, WsCounters
from krakked_core.model.market import TIMEFRAME_SECONDS, Bar, Timeframe
from krakked_core.model.pairs import PairMetadata

logger = logging.getLogger(__name__)


class LiveSession(Protocol):
    """A venue's streaming session as the feed drives it (Kraken's: ``KrakenWsSession``)."""

    @property
    def counters(self) -> WsCounters: ...

    @property
    def connected(self) -> bool: ...

    @property
    def opened_at(self) -> float | None: ...

    @property
    def last_message_at(self) -> datetime | None: ...

    def add_pairs(self, pairs: Sequence[PairMetadata]) -> list[str]: ...

    def drop_pairs(self, gone: Iterable[str]) -> None: ...

    async def subscribe(self, keys: Iterable[ChannelKey]) -> None: ...

    async def unsubscribe(self, keys: Iterable[ChannelKey]) -> None: ...

    async def run(self, stop: asyncio.Event, listener: "LiveFeed") -> None: ...


@dataclass
class _ChannelState:
    key: ChannelKey
    # Monotonic seconds.
    subscribed_at: float | None = None  # when the last subscribe was sent
    last_data_at: float | None = None  # last WebSocket data (REST data does not count)
    due_since: float | None = None  # since another channel told a trade this one has not
    in_fallback: bool = False
    error: str | None = None  # the last subscription error, until a success
    price: Decimal | None = None  # the last trade price it told: ticker last, newest bar close
    price_bar: int = 0  # ohlc: the time of the bar ``price`` is the close of


class LiveFeed:
    """Stream ``ticker`` and ``ohlc`` of ``pairs`` into ``sink`` until ``run``'s stop is set."""

    def __init__(
        self,
        *,
        session: LiveSession,
        pairs: Sequence[PairMetadata],
        timeframes: Sequence[Timeframe],
        config: WsConfig,
        clock: MonotonicClock,
        sink: LiveSink,
        fallback: RestFallback | None = None,
    ) -> None:
        self._session = session
        self._config = config
        self._clock = clock
        self._sink = sink
        self._fallback = fallback
        unknown = sorted(set(timeframes) - set(TIMEFRAME_SECONDS))
        if unknown:
            raise ValueError(f"unknown timeframe(s): {', '.join(unknown)}")
        self._timeframes = tuple(timeframes)
        self._keys: list[ChannelKey] = []
        self._states: dict[ChannelKey, _ChannelState] = {}
        # The same states by pair, then timeframe (the ticker's: None), ticker first: the hot
        # path's way to them.
        self._by_pair: dict[str, dict[Timeframe | None, _ChannelState]] = {}
        self._pair_price: dict[str, Decimal] = {}  # the newest trade price told, per pair
        self._add_pairs(pairs)
        self._started_at = clock.monotonic()
        self._last_rest_at: float | None = None
        self.counters = session.counters

    # --- what the sidecar reads -----------------------------------------------------------

    @property
    def pairs(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(key.pair for key in self._keys))

    @property
    def connected(self) -> bool:
        return self._session.connected

    @property
    def last_message_at(self) -> datetime | None:
        return self._session.last_message_at

    @property
    def rest_ok(self) -> bool:
        return bool(self._fallback and self._fallback.rest_ok)

    def subscription_errors(self) -> tuple[str, ...]:
        return tuple(f"{key}: {st.error}" for key, st in sorted(self._states.items()) if st.error)

    def fallback_keys(self) -> frozenset[ChannelKey]:
        return frozenset(key for key, st in self._states.items() if st.in_fallback)

    def held_bar_keys(self) -> frozenset[tuple[str, Timeframe]]:
        """``(pair, timeframe)`` whose running bar must not be closed by the clock.

        Those without live WebSocket data: all while disconnected; otherwise the channels in
        REST fallback and those without data since the socket (re)opened. Their bars close when
        a later bar arrives (snapshot or REST), which carries the complete values.
        """
        opened_at = self._session.opened_at
        return frozenset(
            (key.pair, key.timeframe)
            for key, st in self._states.items()
            if key.timeframe is not None
            and (
                opened_at is None
                or not self._session.connected
                or st.in_fallback
                or st.last_data_at is None
                or st.last_data_at < opened_at
            )
        )

    # --- changing the pairs -----------------------------------------------------------------

    async def set_pairs(self, pairs: Sequence[PairMetadata]) -> None:
        """Stream exactly ``pairs`` from now on: subscribe the new, unsubscribe the dropped."""
        wanted = {meta.canonical for meta in pairs}
        known = {key.pair for key in self._keys}
        removed = [key for key in self._keys if key.pair not in wanted]
        added = self._add_pairs([meta for meta in pairs if meta.canonical not in known])
        try:
            if removed:
                await self._session.unsubscribe(removed)
            self._drop_keys(removed)
            if added and self._session.connected:
                await self._subscribe(added)
        except NetworkError as exc:
            # The socket is going down; the next connection subscribes the new set anyway.
            self._drop_keys(removed)
            logger.info("pair change not sent (%s): applies on reconnect", exc)
        if added or removed:
            logger.info(
                "pairs changed: %d added, %d removed",
                len({key.pair for key in added}),
                len({key.pair for key in removed}),
            )

    def _add_pairs(self, pairs: Sequence[PairMetadata]) -> list[ChannelKey]:
        """Start tracking the pairs the session can stream."""
        added: list[ChannelKey] = []
        for pair in self._session.add_pairs(pairs):
            added.append(ChannelKey("ticker", pair))
            added.extend(ChannelKey("ohlc", pair, tf) for tf in self._timeframes)
        self._keys.extend(added)
        for key in added:
            state = self._states[key] = _ChannelState(key)
            self._by_pair.setdefault(key.pair, {})[key.timeframe] = state
        return added

    def _drop_keys(self, keys: Sequence[ChannelKey]) -> None:
        gone = {key.pair for key in keys}
        self._keys = [key for key in self._keys if key.pair not in gone]
        for key in keys:
            self._states.pop(key, None)
        self._session.drop_pairs(gone)
        for pair in gone:
            self._pair_price.pop(pair, None)
            self._by_pair.pop(pair, None)

    async def _subscribe(self, keys: Iterable[ChannelKey]) -> None:
        """Subscribe the tracked ``keys``: each is due its snapshot from now, nothing else."""
        now = self._clock.monotonic()
        tracked = [key for key in keys if key in self._states]  # not dropped meanwhile
        for key in tracked:
            state = self._states[key]
            state.subscribed_at = now
            state.due_since = None
        await self._session.subscribe(tracked)

    # --- running --------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Connect, subscribe and stream until ``stop`` is set; never raises on network trouble."""
        connect = asyncio.create_task(self._session.run(stop, self))
        # The REST loop is cancelled on stop, not awaited: a call in flight may take its whole
        # timeout, and its answer is of no use to a feed that is stopping.
        rest = (
            asyncio.create_task(self._rest_loop(stop, self._fallback))
            if self._fallback is not None
            else None
        )
        stopped = asyncio.create_task(stop.wait())
        tasks = [task for task in (connect, rest) if task is not None]
        try:
            done, _ = await asyncio.wait([*tasks, stopped], return_when=asyncio.FIRST_COMPLETED)
            for task in done - {stopped}:
                task.result()  # a loop that ended by itself failed: let it be seen
            if rest is not None:
                rest.cancel()
            await connect  # ends within a tick of the stop, closing the socket properly
        finally:
            for task in (*tasks, stopped):
                task.cancel()
            await asyncio.gather(*tasks, stopped, return_exceptions=True)

    # --- what the session tells -------------------------------------------------------------

    async def on_open(self) -> None:
        await self._subscribe(list(self._keys))

    def on_quote(self, quote: Quote) -> None:
        self._data_arrived(quote.pair, None, quote.last)
        self._sink.on_quote(quote)

    def on_bar(
        self, pair: str, timeframe: Timeframe, bar: Bar, close: Decimal, *, snapshot: bool
    ) -> None:
        self._data_arrived(pair, timeframe, close, bar_time=bar.time, news=not snapshot)
        # A snapshot (after a (re)subscribe) carries the candle as the exchange has it: it may
        # revise a bar the cache already closed from partial updates.
        self._sink.on_bar(pair, timeframe, bar, revise=snapshot)

    def on_ack(self, keys: Sequence[ChannelKey], error: str | None) -> None:
        tracked = [key for key in keys if key in self._states]
        for key in tracked:
            state = self._states[key]
            if error is None:
                self.counters.subscribed += 1
                state.error = None
                continue
            state.error = error
            state.in_fallback = True
        if error is not None:
            self.counters.subscription_errors += 1
            logger.warning(
                "subscription refused: %s", error, extra={"keys": [str(k) for k in tracked]}
            )

    async def on_tick(self, now: float) -> None:
        """Resubscribe channels acknowledged but silent, and send them to the REST fallback."""
        self.counters.channel_scans += 1
        silent = [key for pair in self.pairs for key in self._silent_keys(pair, now)]
        if not silent:
            return
        turned = [key for key in silent if not self._states[key].in_fallback]
        for key in silent:
            self._states[key].in_fallback = True
        # A state change is news; resubscribing channels already silent is routine.
        log = logger.info if turned else logger.debug
        log(
            "no data on %d channel(s): resubscribing them, REST fallback on",
            len(turned or silent),
            extra={"channels": [str(key) for key in turned or silent][:20]},
        )
        self.counters.resubscribes += len(silent)
        await self._session.unsubscribe(silent)
        await self._subscribe(silent)

    # --- the watchdog -----------------------------------------------------------------------

    def _silent_keys(self, pair: str, now: float) -> list[ChannelKey]:
        """The pair's channels overdue: all of them when the whole pair is quiet, else those
        that missed their snapshot or a trade the pair's other channels saw."""
        limit = self._config.silent_channel_seconds
        keys = self._pair_keys(pair)
        states = [self._states[key] for key in keys]
        heard = [t for st in states for t in (st.subscribed_at, st.last_data_at) if t is not None]
        if heard and now - max(heard) > limit:
            return keys
        return [key for key, st in zip(keys, states, strict=True) if _overdue(st, now, limit)]

    def _pair_keys(self, pair: str) -> list[ChannelKey]:
        return [state.key for state in self._by_pair.get(pair, {}).values()]

    def _data_arrived(
        self,
        pair: str,
        timeframe: Timeframe | None,
        price: Decimal,
        *,
        bar_time: int = 0,
        news: bool = True,
    ) -> None:
        """Note data on the pair's ticker (``timeframe`` None) or ohlc channel telling ``price``
        as the last trade (an ohlc item: its bar's close). A new price told (not by a snapshot)
        is news of a trade, which the pair's channels that have not told that price then owe."""
        self.counters.data_items += 1
        channels = self._by_pair.get(pair)
        state = None if channels is None else channels.get(timeframe)
        if channels is None or state is None:
            return
        now = self._clock.monotonic()
        state.last_data_at, state.due_since = now, None
        if state.in_fallback:
            state.in_fallback = False
            logger.info("data flows again on %s: REST fallback off", state.key)
        if bar_time < state.price_bar:  # an older candle (of a snapshot): not the last trade
            return
        told = news and state.price is not None and price != state.price
        state.price, state.price_bar = price, bar_time
        if not told or self._pair_price.get(pair) == price:
            return  # nothing new, or the same trade another channel told already
        self._pair_price[pair] = price
        for owed in channels.values():
            if owed.price != price and owed.due_since is None:
                owed.due_since = now

    # --- REST fallback --------------------------------------------------------------------

    async def _rest_loop(self, stop: asyncio.Event, fallback: RestFallback) -> None:
        """Poll REST for what the socket does not deliver; probe REST now and then."""
        interval = self._config.rest_fallback_poll_seconds
        while not stop.is_set():
            try:
                await self._rest_round(fallback)
            except Exception:  # one failed round (a bug, an odd answer) must not end the loop
                logger.exception("REST fallback round failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)

    async def _rest_round(self, fallback: RestFallback) -> None:
        keys = self._keys_needing_rest(self._clock.monotonic())
        tickers = [key.pair for key in keys if key.channel == "ticker"]
        ohlc = [(key.pair, key.timeframe) for key in keys if key.timeframe is not None]
        if tickers or ohlc:
            await fallback.poll(tickers, ohlc)
            self._last_rest_at = self._clock.monotonic()
        elif self._probe_due():
            await fallback.probe()
            self._last_rest_at = self._clock.monotonic()

    def _keys_needing_rest(self, now: float) -> list[ChannelKey]:
        """Silent channels; and, while disconnected, every channel without recent data."""
        limit = self._config.silent_channel_seconds

        def quiet(state: _ChannelState) -> bool:
            heard = self._started_at if state.last_data_at is None else state.last_data_at
            return now - heard > limit

        return sorted(
            key
            for key, state in self._states.items()
            if state.in_fallback or (not self._session.connected and quiet(state))
        )

    def _probe_due(self) -> bool:
        if self._last_rest_at is None:
            return True
        return self._clock.monotonic() - self._last_rest_at > self._config.rest_probe_seconds


def _overdue(state: _ChannelState, now: float, limit: float) -> bool:
    """Whether a channel missed, by ``limit``, its snapshot or the news of a trade."""
    subscribed, heard = state.subscribed_at, state.last_data_at
    if (
        subscribed is not None
        and now - subscribed > limit
        and (heard is None or heard < subscribed)
    ):
        return True
    return state.due_since is not None and now - state.due_since > limit
