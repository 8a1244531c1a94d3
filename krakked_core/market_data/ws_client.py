"""Kraken WebSocket v2 client for ``ticker`` and ``ohlc``: subscribe, receive, recover.

- Subscribes every pair of the universe in batches, per channel and (for ohlc) per interval.
- Reconnects with exponential backoff and jitter, and resubscribes everything afterwards.
- Heartbeat watchdog: a socket silent for ``heartbeat_timeout_seconds`` is dropped and reopened.
- Channel watchdog: Kraken can acknowledge a subscription and then send nothing while heartbeats
  flow. A channel is judged by what it can expect, since an ohlc channel sends only when a trade
  happens (a quiet 1d candle of a thin pair is normal, not silence). Within
  ``silent_channel_seconds`` a channel is due: its snapshot after a subscribe; and data after
  another channel of its pair told of a trade it has not told (a new last price: the ticker's
  ``last`` and every running candle's close are the same last trade). Beyond that, a channel
  is silent only when its whole pair is: nothing on any of its channels for the bound.
  Silent channels are resubscribed and served from REST until WebSocket data flows again; the
  log says when channels turn silent, not each time they are resubscribed.
- Durations (watchdogs, the REST fallback's pacing) run on the monotonic clock, so a wall clock
  set back or forward neither blinds them nor sets them off.
- A malformed or unknown frame (or one unusable item of a frame) is counted, logged once per
  kind, and skipped; it never stops the client.
- ``set_pairs`` changes the streamed pairs while running (subscribe/unsubscribe the difference).

Symbols are translated only through ``connection.symbols`` (``BTC/USD`` ↔ ``XBT/USD``);
everything handed to the sink speaks canonical pairs (``XBTUSD``).
"""

import asyncio
import contextlib
import itertools
import json
import logging
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import WebSocketException

from krakked_core.clock import MonotonicClock
from krakked_core.config import WsConfig
from krakked_core.connection.intervals import KRAKEN_INTERVAL, TIMEFRAME_OF_INTERVAL
from krakked_core.connection.parsers.ws import (
    OhlcMessage,
    StatusMessage,
    SubscriptionAck,
    TickerMessage,
    Unparsed,
    WsOhlcItem,
    WsTickerItem,
    parse_ws_message,
)
from krakked_core.connection.symbols import ws_v2_symbol, wsname_from_v2
from krakked_core.log import SHOW_ON_TERMINAL
from krakked_core.market_data.live_fallback import LiveSink, RestFallback
from krakked_core.model.market import Bar, TickerSnapshot, Timeframe
from krakked_core.model.pairs import PairMetadata

logger = logging.getLogger(__name__)

TICK_SECONDS = 0.25  # how often the watchdogs look, and how fast a stop is noticed
# Ticker updates on best-bid/offer changes too, not only on trades (Kraken's default), so bid and
# ask stay current on quiet pairs.
TICKER_EVENT_TRIGGER = "bbo"


class _SilentSocketError(Exception):
    """No frame at all within the heartbeat timeout."""


@dataclass(frozen=True, order=True)
class ChannelKey:
    """One subscription: ``ticker`` of a pair, or ``ohlc`` of a pair at a timeframe."""

    channel: str
    pair: str  # canonical
    timeframe: Timeframe | None = None

    def __str__(self) -> str:
        return f"{self.channel}:{self.pair}" + (f":{self.timeframe}" if self.timeframe else "")


@dataclass
class _ChannelState:
    # Monotonic seconds.
    subscribed_at: float | None = None  # when the last subscribe was sent
    last_data_at: float | None = None  # last WebSocket data (REST data does not count)
    due_since: float | None = None  # since another channel told a trade this one has not
    in_fallback: bool = False
    error: str | None = None  # the last subscription error, until a success
    price: Decimal | None = None  # the last trade price it told: ticker last, newest bar close
    price_bar: int = 0  # ohlc: the time of the bar ``price`` is the close of


@dataclass
class WsCounters:
    """What the client has seen since it started (plain counters, read by the sidecar)."""

    messages: int = 0  # frames received
    data_items: int = 0  # ticker/ohlc items delivered to the sink
    malformed: int = 0  # frames (or items) skipped as unusable
    unknown: int = 0  # frames of a channel/method we do not handle
    subscribed: int = 0  # successful subscribe acks (one per channel and pair)
    reconnects: int = 0
    connection_errors: int = 0
    subscription_errors: int = 0
    resubscribes: int = 0  # silent channels resubscribed
    channel_scans: int = 0  # runs of the channel watchdog (at most one per tick)

    @property
    def errors(self) -> int:
        return self.malformed + self.unknown + self.connection_errors + self.subscription_errors


@dataclass
class _Request:
    channel: str
    timeframe: Timeframe | None
    pairs: tuple[str, ...]


@dataclass
class _Connection:
    ws: ClientConnection
    opened_at: float  # monotonic seconds, as the two below
    last_frame_at: float
    next_scan_at: float
    requests: dict[int, _Request] = field(default_factory=dict)


def backoff_delay(attempt: int, initial: float, maximum: float, rng: random.Random) -> float:
    """Exponential backoff with jitter: uniform in [ceiling/2, ceiling], ceiling capped."""
    ceiling = min(maximum, initial * 2 ** min(attempt, 32))
    return rng.uniform(ceiling / 2, ceiling)


class KrakenWsClient:
    """Stream ``ticker`` and ``ohlc`` of ``pairs`` into ``sink`` until ``run``'s stop is set."""

    def __init__(
        self,
        *,
        url: str,
        pairs: Sequence[PairMetadata],
        timeframes: Sequence[Timeframe],
        config: WsConfig,
        clock: MonotonicClock,
        sink: LiveSink,
        fallback: RestFallback | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self._url = url
        self._config = config
        self._clock = clock
        self._sink = sink
        self._fallback = fallback
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not security
        unknown = sorted(set(timeframes) - set(KRAKEN_INTERVAL))
        if unknown:
            raise ValueError(f"unknown timeframe(s): {', '.join(unknown)}")
        self._timeframes = tuple(timeframes)
        self._v2_symbol: dict[str, str] = {}
        self._by_wsname: dict[str, str] = {}
        self._retired: set[str] = set()  # wsnames unsubscribed by set_pairs: their data is dropped
        self._keys: list[ChannelKey] = []
        self._states: dict[ChannelKey, _ChannelState] = {}
        self._pair_price: dict[str, Decimal] = {}  # the newest trade price told, per pair
        self._add_pairs(pairs)
        self._conn: _Connection | None = None
        self._req_ids = itertools.count(1)
        self._logged_kinds: set[str] = set()
        self._started_at = clock.monotonic()
        self._last_rest_at: float | None = None
        self.counters = WsCounters()
        self.connected = False
        self.last_message_at: datetime | None = None
        self.exchange_system: str | None = None  # online | cancel_only | post_only | maintenance

    # --- what the sidecar reads -----------------------------------------------------------

    @property
    def pairs(self) -> tuple[str, ...]:
        return tuple(self._v2_symbol)

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
        conn = self._conn
        return frozenset(
            (key.pair, key.timeframe)
            for key, st in self._states.items()
            if key.timeframe is not None
            and (
                conn is None
                or not self.connected
                or st.in_fallback
                or st.last_data_at is None
                or st.last_data_at < conn.opened_at
            )
        )

    # --- changing the pairs -----------------------------------------------------------------

    async def set_pairs(self, pairs: Sequence[PairMetadata]) -> None:
        """Stream exactly ``pairs`` from now on: subscribe the new, unsubscribe the dropped."""
        wanted = {meta.canonical for meta in pairs}
        removed = [key for key in self._keys if key.pair not in wanted]
        added = self._add_pairs([meta for meta in pairs if meta.canonical not in self._v2_symbol])
        conn = self._conn if self.connected else None
        try:
            if removed and conn is not None:
                await self._send_grouped(conn, "unsubscribe", removed)
            self._drop_keys(removed)
            if added and conn is not None:
                await self._subscribe(conn, added)
        except (OSError, WebSocketException) as exc:
            # The socket is going down; the next connection subscribes the new set anyway.
            self._drop_keys(removed)
            logger.info("pair change not sent (%s): applies on reconnect", _describe(exc))
        if added or removed:
            logger.info(
                "pairs changed: %d added, %d removed",
                len({key.pair for key in added}),
                len({key.pair for key in removed}),
            )

    def _add_pairs(self, pairs: Sequence[PairMetadata]) -> list[ChannelKey]:
        """Start tracking ``pairs``; one without a usable WebSocket name is logged and skipped."""
        added: list[ChannelKey] = []
        for meta in pairs:
            symbol = _v2_symbol_of(meta)
            if symbol is None:
                logger.warning(
                    "skipping pair with an unusable WebSocket name",
                    extra={"pair": meta.canonical, "ws_symbol": meta.ws_symbol},
                )
                continue
            self._v2_symbol[meta.canonical] = symbol
            self._by_wsname[meta.ws_symbol] = meta.canonical
            self._retired.discard(meta.ws_symbol)
            added.append(ChannelKey("ticker", meta.canonical))
            added.extend(ChannelKey("ohlc", meta.canonical, tf) for tf in self._timeframes)
        self._keys.extend(added)
        self._states.update({key: _ChannelState() for key in added})
        return added

    def _drop_keys(self, keys: Sequence[ChannelKey]) -> None:
        gone = {key.pair for key in keys}
        self._keys = [key for key in self._keys if key.pair not in gone]
        for key in keys:
            self._states.pop(key, None)
        for wsname, pair in list(self._by_wsname.items()):
            if pair in gone:
                del self._by_wsname[wsname]
                self._retired.add(wsname)
        for pair in gone:
            self._v2_symbol.pop(pair, None)
            self._pair_price.pop(pair, None)

    # --- running --------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Connect, subscribe and stream until ``stop`` is set; never raises on network trouble."""
        connect = asyncio.create_task(self._connect_loop(stop))
        # The REST loop is cancelled on stop, not awaited: a call in flight may take its whole
        # timeout, and its answer is of no use to a client that is stopping.
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

    async def _connect_loop(self, stop: asyncio.Event) -> None:
        attempt = 0
        while not stop.is_set():
            got_data = False
            try:
                got_data = await self._session(stop)
            except (OSError, TimeoutError, WebSocketException, _SilentSocketError) as exc:
                self.counters.connection_errors += 1
                logger.warning(
                    "WebSocket connection lost: %s", _describe(exc), extra={"url": self._url}
                )
            except Exception:  # a bug of ours: reconnect rather than end the live feed
                self.counters.connection_errors += 1
                logger.exception("WebSocket session failed", extra={"url": self._url})
            finally:
                self.connected = False
            if stop.is_set():
                break
            attempt = 0 if got_data else attempt + 1
            delay = backoff_delay(
                attempt,
                self._config.reconnect_initial_seconds,
                self._config.reconnect_max_seconds,
                self._rng,
            )
            self.counters.reconnects += 1
            logger.info("WebSocket reconnecting in %.2fs", delay, extra={"attempt": attempt})
            await _wait(stop, delay)

    async def _session(self, stop: asyncio.Event) -> bool:
        """One connection: subscribe everything, then read until stop or failure."""
        got_data = False
        async with connect(self._url, open_timeout=self._config.heartbeat_timeout_seconds) as ws:
            opened = self._clock.monotonic()
            conn = _Connection(ws=ws, opened_at=opened, last_frame_at=opened, next_scan_at=opened)
            self._conn = conn
            self.connected = True
            logger.info("WebSocket connected", extra={"url": self._url, **SHOW_ON_TERMINAL})
            await self._subscribe(conn, list(self._keys))
            timeout = self._config.heartbeat_timeout_seconds
            while not stop.is_set():
                raw = await _recv(ws, TICK_SECONDS)
                now = self._clock.monotonic()
                if raw is not None:
                    conn.last_frame_at = now
                    got_data = self._handle_safely(conn, raw, self._clock.now()) or got_data
                if now - conn.last_frame_at > timeout:
                    raise _SilentSocketError(f"no frame for {timeout:g}s")
                if now >= conn.next_scan_at:  # once per tick, not after every frame
                    conn.next_scan_at = now + TICK_SECONDS
                    await self._watch_channels(conn, now)
        return got_data

    # --- subscriptions --------------------------------------------------------------------

    async def _subscribe(self, conn: _Connection, keys: Iterable[ChannelKey]) -> None:
        await self._send_grouped(conn, "subscribe", keys)

    async def _send_grouped(
        self, conn: _Connection, method: str, keys: Iterable[ChannelKey]
    ) -> None:
        groups: dict[tuple[str, Timeframe | None], list[str]] = {}
        now = self._clock.monotonic()
        for key in keys:
            state = self._states.get(key)
            if state is None:  # dropped by set_pairs meanwhile
                continue
            groups.setdefault((key.channel, key.timeframe), []).append(key.pair)
            if method == "subscribe":  # a fresh subscription: due its snapshot, nothing else
                state.subscribed_at = now
                state.due_since = None
        size = self._config.subscribe_batch_size
        for (channel, timeframe), pairs in groups.items():
            for start in range(0, len(pairs), size):
                batch = tuple(pairs[start : start + size])
                await self._send_request(conn, method, _Request(channel, timeframe, batch))

    async def _send_request(self, conn: _Connection, method: str, request: _Request) -> None:
        symbols = [self._v2_symbol[pair] for pair in request.pairs if pair in self._v2_symbol]
        if not symbols:
            return
        req_id = next(self._req_ids)
        params: dict[str, Any] = {"channel": request.channel, "symbol": symbols}
        if request.timeframe is not None:
            params["interval"] = KRAKEN_INTERVAL[request.timeframe]
        if request.channel == "ticker" and method == "subscribe":
            params["event_trigger"] = TICKER_EVENT_TRIGGER
        conn.requests[req_id] = request
        await conn.ws.send(json.dumps({"method": method, "params": params, "req_id": req_id}))
        logger.debug("%s %s %s", method, request.channel, params["symbol"])

    def _on_ack(self, conn: _Connection, ack: SubscriptionAck) -> None:
        if ack.method != "subscribe":
            return  # unsubscribe answers (including "not found") change nothing
        request = conn.requests.get(ack.req_id) if ack.req_id is not None else None
        keys = self._keys_of_ack(ack, request)
        failed = not ack.success and "already subscribed" not in (ack.error or "").lower()
        for key in keys:
            state = self._states[key]
            if not failed:
                self.counters.subscribed += 1
                state.error = None
                continue
            state.error = ack.error or "subscription refused"
            state.in_fallback = True
        if failed:
            self.counters.subscription_errors += 1
            logger.warning(
                "subscription refused: %s", ack.error, extra={"keys": [str(k) for k in keys]}
            )

    def _keys_of_ack(self, ack: SubscriptionAck, request: _Request | None) -> list[ChannelKey]:
        pair = self._canonical(ack.symbol) if ack.symbol else None
        channel = ack.channel or (request.channel if request else None)
        timeframe = request.timeframe if request else TIMEFRAME_OF_INTERVAL.get(ack.interval or 0)
        if channel is None:
            return []
        pairs = [pair] if pair else list(request.pairs if request else ())
        keys = [ChannelKey(channel, p, timeframe if channel == "ohlc" else None) for p in pairs]
        return [key for key in keys if key in self._states]

    async def _watch_channels(self, conn: _Connection, now: float) -> None:
        """Resubscribe channels acknowledged but silent, and send them to the REST fallback."""
        self.counters.channel_scans += 1
        silent = [key for pair in self._v2_symbol for key in self._silent_keys(pair, now)]
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
        await self._send_grouped(conn, "unsubscribe", silent)
        await self._subscribe(conn, silent)

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
        keys = [ChannelKey("ticker", pair)]
        keys.extend(ChannelKey("ohlc", pair, timeframe) for timeframe in self._timeframes)
        return [key for key in keys if key in self._states]

    # --- incoming frames ------------------------------------------------------------------

    def _handle_safely(self, conn: _Connection, raw: str | bytes, now: datetime) -> bool:
        """Handle one frame; whatever goes wrong with it, it costs that frame, not the stream."""
        try:
            return self._handle(conn, raw, now)
        except Exception as exc:  # no single frame may end the connection loop
            first = f"unhandled_{type(exc).__name__}" not in self._logged_kinds
            self._skip(Unparsed(f"unhandled_{type(exc).__name__}", _describe(exc)))
            if first:  # the traceback once per kind: this is a bug of ours, not bad input
                logger.error("handling a WebSocket frame failed", exc_info=exc)
            return False

    def _handle(self, conn: _Connection, raw: str | bytes, now: datetime) -> bool:
        """Handle one frame; True when it carried channel data."""
        self.counters.messages += 1
        self.last_message_at = now
        message = parse_ws_message(raw)
        if isinstance(message, TickerMessage | OhlcMessage):
            for rejected in message.rejected:
                self._skip(rejected)
        if isinstance(message, TickerMessage):
            for ticker in message.items:
                self._guarded("malformed_ticker", self._on_ticker, ticker, now)
            return True
        if isinstance(message, OhlcMessage):
            snapshot = message.type == "snapshot"
            for candle in message.items:
                self._guarded("malformed_ohlc", self._on_ohlc, candle, snapshot)
            return True
        if isinstance(message, SubscriptionAck):
            self._on_ack(conn, message)
        elif isinstance(message, StatusMessage):
            self._on_status(message)
        elif isinstance(message, Unparsed):
            self._skip(message)
        return False

    def _guarded(self, kind: str, handle: Callable[..., None], *args: Any) -> None:
        """Handle one data item; an item our models refuse is skipped, never fatal."""
        try:
            handle(*args)
        except (ValueError, ValidationError) as exc:
            self._skip(Unparsed(kind, f"{type(exc).__name__}: {exc}"))

    def _on_status(self, message: StatusMessage) -> None:
        if message.system != self.exchange_system:
            log = logger.info if message.system == "online" else logger.warning
            log("exchange system status: %s", message.system, extra={"system": message.system})
        self.exchange_system = message.system

    def _on_ticker(self, item: WsTickerItem, now: datetime) -> None:
        pair = self._canonical(item.symbol)
        if pair is None:
            return
        snapshot = TickerSnapshot(
            pair=pair,
            bid=item.bid,
            ask=item.ask,
            last=item.last,
            volume_24h=item.volume,
            vwap_24h=item.vwap,
            updated_at=now,
        )
        self._data_arrived(ChannelKey("ticker", pair), item.last)
        self._sink.on_ticker(snapshot)

    def _on_ohlc(self, item: WsOhlcItem, snapshot: bool) -> None:
        pair = self._canonical(item.symbol)
        timeframe = TIMEFRAME_OF_INTERVAL.get(item.interval)
        if pair is None or timeframe is None:
            if timeframe is None:
                self._skip(Unparsed("unknown_interval", f"ohlc interval {item.interval}"))
            return
        bar = Bar(
            time=int(item.interval_begin.timestamp()),
            open=float(item.open),
            high=float(item.high),
            low=float(item.low),
            close=float(item.close),
            vwap=float(item.vwap),
            volume=float(item.volume),
            count=item.trades,
        )
        self._data_arrived(
            ChannelKey("ohlc", pair, timeframe), item.close, bar_time=bar.time, news=not snapshot
        )
        # A snapshot (after a (re)subscribe) carries the candle as the exchange has it: it may
        # revise a bar the cache already closed from partial updates.
        self._sink.on_bar(pair, timeframe, bar, revise=snapshot)

    def _data_arrived(
        self, key: ChannelKey, price: Decimal, *, bar_time: int = 0, news: bool = True
    ) -> None:
        """Note data on ``key`` telling ``price`` as the last trade (an ohlc item: its bar's
        close). A new price told (not by a snapshot) is news of a trade, which the pair's
        channels that have not told that price then owe."""
        self.counters.data_items += 1
        state = self._states.get(key)
        if state is None:
            return
        now = self._clock.monotonic()
        state.last_data_at, state.due_since = now, None
        if state.in_fallback:
            state.in_fallback = False
            logger.info("data flows again on %s: REST fallback off", key)
        if bar_time < state.price_bar:  # an older candle (of a snapshot): not the last trade
            return
        told = news and state.price is not None and price != state.price
        state.price, state.price_bar = price, bar_time
        if not told or self._pair_price.get(key.pair) == price:
            return  # nothing new, or the same trade another channel told already
        self._pair_price[key.pair] = price
        for other in self._pair_keys(key.pair):
            owed = self._states[other]
            if owed.price != price and owed.due_since is None:
                owed.due_since = now

    def _canonical(self, symbol: str) -> str | None:
        try:
            wsname: str | None = wsname_from_v2(symbol)
        except ValueError:
            wsname = None
        pair = self._by_wsname.get(wsname) if wsname is not None else None
        if pair is None and wsname not in self._retired:  # data after an unsubscribe: expected
            self._skip(Unparsed("unknown_symbol", f"symbol {symbol!r} is not subscribed"))
        return pair

    def _skip(self, message: Unparsed) -> None:
        if message.kind.startswith("unknown"):
            self.counters.unknown += 1
        else:
            self.counters.malformed += 1
        if message.kind not in self._logged_kinds:
            self._logged_kinds.add(message.kind)
            logger.warning(
                "skipping WebSocket message (%s): %s (logged once per kind)",
                message.kind,
                message.reason[:200],
                extra={"kind": message.kind},
            )

    # --- REST fallback --------------------------------------------------------------------

    async def _rest_loop(self, stop: asyncio.Event, fallback: RestFallback) -> None:
        """Poll REST for what the socket does not deliver; probe REST now and then."""
        interval = self._config.rest_fallback_poll_seconds
        while not stop.is_set():
            try:
                await self._rest_round(fallback)
            except Exception:  # one failed round (a bug, an odd answer) must not end the loop
                logger.exception("REST fallback round failed")
            await _wait(stop, interval)

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
            if state.in_fallback or (not self.connected and quiet(state))
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


def _v2_symbol_of(meta: PairMetadata) -> str | None:
    """The v2 symbol of a pair (``BTC/USD``), or None when its wsname is not ``BASE/QUOTE``."""
    try:
        symbol = ws_v2_symbol(meta.ws_symbol)
    except ValueError:
        return None
    base, quote = symbol.split("/")
    return symbol if base and quote else None


async def _recv(ws: ClientConnection, timeout: float) -> str | bytes | None:
    try:
        return await asyncio.wait_for(ws.recv(), timeout)
    except TimeoutError:
        return None


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]
