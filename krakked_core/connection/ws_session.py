"""Kraken WebSocket v2 session: connect, reconnect, heartbeat, subscribe, frames → domain values.

- Reconnects with exponential backoff and jitter; a connection that carried data resets it.
- Heartbeat: a socket silent for ``heartbeat_timeout_seconds`` is dropped and reopened.
- Subscribes in batches (per channel and, for ohlc, per interval), each with a ``req_id``, and
  maps Kraken's acknowledgements (one per symbol, some without a result) back to channels.
- Frames are parsed (``parsers.ws``) and handed to a ``WsListener`` as domain values: a
  ``TickerSnapshot`` or a ``Bar`` of a canonical pair and timeframe. A malformed or unknown frame
  (or one unusable item of a frame, or one the listener refuses) is counted, logged once per
  kind, and skipped; it never ends the session.
- Durations run on the monotonic clock, so a wall clock set back or forward neither blinds the
  heartbeat nor sets it off.

Symbols are translated only through ``connection.symbols`` (``BTC/USD`` ↔ ``XBT/USD``);
everything handed to the listener speaks canonical pairs (``XBTUSD``).
"""

import asyncio
import contextlib
import functools
import itertools
import json
import logging
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

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
from krakked_core.errors import NetworkError
from krakked_core.log import SHOW_ON_TERMINAL
from krakked_core.model.live import ChannelKey, Quote, WsCounters
from krakked_core.model.market import Bar, Timeframe
from krakked_core.model.pairs import PairMetadata

logger = logging.getLogger(__name__)

TICK_SECONDS = 0.25  # how often the listener's watchdog runs, and how fast a stop is noticed
YIELD_EVERY_FRAMES = 64  # in a flood, the reader lets the other tasks run this often
# Ticker updates on best-bid/offer changes too, not only on trades (Kraken's default), so bid and
# ask stay current on quiet pairs.
TICKER_EVENT_TRIGGER = "bbo"


class _SilentSocketError(Exception):
    """No frame at all within the heartbeat timeout."""


class WsListener(Protocol):
    """What the session tells (the live feed): openings, data, acknowledgements, ticks."""

    async def on_open(self) -> None:
        """A connection opened: subscribe what should be streamed."""
        ...

    def on_quote(self, quote: Quote) -> None: ...

    def on_bar(
        self, pair: str, timeframe: Timeframe, bar: Bar, close: Decimal, *, snapshot: bool
    ) -> None:
        """A candle; ``close`` exact as sent; ``snapshot``: the exchange's view after a
        (re)subscribe, not an update."""
        ...

    def on_ack(self, keys: Sequence[ChannelKey], error: str | None) -> None:
        """A subscribe answer for ``keys``; ``error`` None when it succeeded."""
        ...

    async def on_tick(self, now: float) -> None:
        """About every ``TICK_SECONDS`` while connected (monotonic ``now``)."""
        ...


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


def backoff_delay(attempt: int, initial: float, maximum: float, rng: random.Random) -> float:
    """Exponential backoff with jitter: uniform in [ceiling/2, ceiling], ceiling capped."""
    ceiling = min(maximum, initial * 2 ** min(attempt, 32))
    return rng.uniform(ceiling / 2, ceiling)


class KrakenWsSession:
    """One logical WebSocket v2 session to ``url``, reopened until ``run``'s stop is set."""

    def __init__(
        self,
        *,
        url: str,
        config: WsConfig,
        clock: MonotonicClock,
        rng: random.Random | None = None,
    ) -> None:
        self._url = url
        self._config = config
        self._clock = clock
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not security
        self._v2_symbol: dict[str, str] = {}
        self._by_wsname: dict[str, str] = {}
        self._by_v2_symbol: dict[str, str] = {}  # the hot path's shortcut past ``_by_wsname``
        self._retired: set[str] = set()  # wsnames dropped: their late data is expected
        self._conn: _Connection | None = None
        self._requests: dict[int, _Request] = {}  # of the current connection, by req_id
        self._req_ids = itertools.count(1)
        self._logged_kinds: set[str] = set()
        self.counters = WsCounters()
        self.connected = False
        self.last_message_at: datetime | None = None
        self.exchange_system: str | None = None  # online | cancel_only | post_only | maintenance

    # --- the pairs ------------------------------------------------------------------------

    @property
    def pairs(self) -> tuple[str, ...]:
        """The canonical pairs the session can stream, in the order they were added."""
        return tuple(self._v2_symbol)

    @property
    def opened_at(self) -> float | None:
        """When the current connection opened (monotonic), None before the first."""
        return None if self._conn is None else self._conn.opened_at

    def add_pairs(self, pairs: Sequence[PairMetadata]) -> list[str]:
        """Learn the symbols of ``pairs``; one without a usable WebSocket name is logged and
        skipped. Returns the canonical names taken."""
        taken: list[str] = []
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
            if wsname_from_v2(symbol) == meta.ws_symbol:  # data names it so, round the trip
                self._by_v2_symbol[symbol] = meta.canonical
            self._retired.discard(meta.ws_symbol)
            taken.append(meta.canonical)
        return taken

    def drop_pairs(self, gone: Iterable[str]) -> None:
        """Forget canonical pairs; data still arriving for them is dropped without a word."""
        gone = set(gone)
        for wsname, pair in list(self._by_wsname.items()):
            if pair in gone:
                del self._by_wsname[wsname]
                self._retired.add(wsname)
        for pair in gone:
            self._v2_symbol.pop(pair, None)
        for symbol, pair in list(self._by_v2_symbol.items()):
            if pair in gone:
                del self._by_v2_symbol[symbol]

    # --- subscriptions --------------------------------------------------------------------

    async def subscribe(self, keys: Iterable[ChannelKey]) -> None:
        """Subscribe ``keys`` on the open connection (nothing when disconnected).

        Raises NetworkError when the socket fails while sending.
        """
        await self._send_grouped("subscribe", keys)

    async def unsubscribe(self, keys: Iterable[ChannelKey]) -> None:
        """Unsubscribe ``keys`` on the open connection (nothing when disconnected)."""
        await self._send_grouped("unsubscribe", keys)

    async def _send_grouped(self, method: str, keys: Iterable[ChannelKey]) -> None:
        conn = self._conn if self.connected else None
        if conn is None:
            return
        groups: dict[tuple[str, Timeframe | None], list[str]] = {}
        for key in keys:
            groups.setdefault((key.channel, key.timeframe), []).append(key.pair)
        size = self._config.subscribe_batch_size
        try:
            for (channel, timeframe), pairs in groups.items():
                for start in range(0, len(pairs), size):
                    batch = tuple(pairs[start : start + size])
                    await self._send_request(conn, method, _Request(channel, timeframe, batch))
        except (OSError, WebSocketException) as exc:
            raise NetworkError(f"WebSocket {method} not sent: {_describe(exc)}") from exc

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
        self._requests[req_id] = request
        await conn.ws.send(json.dumps({"method": method, "params": params, "req_id": req_id}))
        logger.debug("%s %s %s", method, request.channel, params["symbol"])

    # --- running --------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event, listener: WsListener) -> None:
        """Connect and stream to ``listener`` until ``stop`` is set; never raises on network
        trouble."""
        attempt = 0
        while not stop.is_set():
            got_data = False
            try:
                got_data = await self._connection(stop, listener)
            except (
                OSError,
                TimeoutError,
                WebSocketException,
                NetworkError,
                _SilentSocketError,
            ) as exc:
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

    async def _connection(self, stop: asyncio.Event, listener: WsListener) -> bool:
        """One connection: subscribe everything, then read until stop or failure."""
        got_data = False
        async with connect(self._url, open_timeout=self._config.heartbeat_timeout_seconds) as ws:
            opened = self._clock.monotonic()
            conn = _Connection(ws=ws, opened_at=opened, last_frame_at=opened, next_scan_at=opened)
            self._conn, self._requests = conn, {}
            self.connected = True
            logger.info("WebSocket connected", extra={"url": self._url, **SHOW_ON_TERMINAL})
            await listener.on_open()
            handle = self.frame_handler(listener)
            timeout = self._config.heartbeat_timeout_seconds
            while not stop.is_set():
                got_data = await _read_for_a_tick(ws, conn, handle, stop, self._clock) or got_data
                now = self._clock.monotonic()
                if now - conn.last_frame_at > timeout:
                    raise _SilentSocketError(f"no frame for {timeout:g}s")
                if now >= conn.next_scan_at:  # once per tick, not after every frame
                    conn.next_scan_at = now + TICK_SECONDS
                    await listener.on_tick(now)
        return got_data

    # --- incoming frames ------------------------------------------------------------------

    def frame_handler(self, listener: WsListener) -> Callable[[str | bytes], bool]:
        """Handle one frame for ``listener`` (True when it carried channel data), as the
        connection does."""

        def handle(raw: str | bytes) -> bool:
            return self._handle_safely(listener, raw, self._clock.now())

        return handle

    def _handle_safely(self, listener: WsListener, raw: str | bytes, now: datetime) -> bool:
        """Handle one frame; whatever goes wrong with it, it costs that frame, not the stream."""
        try:
            return self._handle(listener, raw, now)
        except Exception as exc:  # no single frame may end the connection loop
            first = f"unhandled_{type(exc).__name__}" not in self._logged_kinds
            self._skip(Unparsed(f"unhandled_{type(exc).__name__}", _describe(exc)))
            if first:  # the traceback once per kind: this is a bug of ours, not bad input
                logger.error("handling a WebSocket frame failed", exc_info=exc)
            return False

    def _handle(self, listener: WsListener, raw: str | bytes, now: datetime) -> bool:
        """Handle one frame; True when it carried channel data."""
        self.counters.messages += 1
        self.last_message_at = now
        message = parse_ws_message(raw)
        if isinstance(message, TickerMessage | OhlcMessage):
            self._on_data(listener, message, now)
            return True
        if isinstance(message, SubscriptionAck):
            self._on_ack(listener, message)
        elif isinstance(message, StatusMessage):
            self._on_status(message)
        elif isinstance(message, Unparsed):
            self._skip(message)
        return False

    def _on_data(
        self, listener: WsListener, message: TickerMessage | OhlcMessage, now: datetime
    ) -> None:
        """Hand on a data frame's items; each is guarded on its own: one our models (or the
        listener) refuse is skipped. (The guard is spelled out in each loop: on the hot path
        a call per item to a guarding helper cost more than the guard.)"""
        for rejected in message.rejected:
            self._skip(rejected)
        if isinstance(message, TickerMessage):
            for ticker in message.items:
                try:
                    self._on_ticker(listener, ticker, now)
                except (ValueError, ValidationError) as exc:
                    self._refused("malformed_ticker", exc)
            return
        snapshot = message.type == "snapshot"
        for candle in message.items:
            try:
                self._on_ohlc(listener, candle, snapshot)
            except (ValueError, ValidationError) as exc:
                self._refused("malformed_ohlc", exc)

    def _refused(self, kind: str, exc: Exception) -> None:
        self._skip(Unparsed(kind, f"{type(exc).__name__}: {exc}"))

    def _on_status(self, message: StatusMessage) -> None:
        if message.system != self.exchange_system:
            log = logger.info if message.system == "online" else logger.warning
            log("exchange system status: %s", message.system, extra={"system": message.system})
        self.exchange_system = message.system

    def _on_ticker(self, listener: WsListener, item: WsTickerItem, now: datetime) -> None:
        pair = self._canonical(item.symbol)
        if pair is None:
            return
        listener.on_quote(Quote(pair, item.bid, item.ask, item.last, item.volume, item.vwap, now))

    def _on_ohlc(self, listener: WsListener, item: WsOhlcItem, snapshot: bool) -> None:
        pair = self._canonical(item.symbol)
        timeframe = TIMEFRAME_OF_INTERVAL.get(item.interval)
        if pair is None or timeframe is None:
            if timeframe is None:
                self._skip(Unparsed("unknown_interval", f"ohlc interval {item.interval}"))
            return
        listener.on_bar(pair, timeframe, bar_of(item), item.close, snapshot=snapshot)

    def _on_ack(self, listener: WsListener, ack: SubscriptionAck) -> None:
        if ack.method != "subscribe":
            return  # unsubscribe answers (including "not found") change nothing
        request = self._requests.get(ack.req_id) if ack.req_id is not None else None
        failed = not ack.success and "already subscribed" not in (ack.error or "").lower()
        error = (ack.error or "subscription refused") if failed else None
        listener.on_ack(self._keys_of_ack(ack, request), error)

    def _keys_of_ack(self, ack: SubscriptionAck, request: _Request | None) -> list[ChannelKey]:
        pair = self._canonical(ack.symbol) if ack.symbol else None
        channel = ack.channel or (request.channel if request else None)
        timeframe = request.timeframe if request else TIMEFRAME_OF_INTERVAL.get(ack.interval or 0)
        if channel is None:
            return []
        pairs = [pair] if pair else list(request.pairs if request else ())
        return [ChannelKey(channel, p, timeframe if channel == "ohlc" else None) for p in pairs]

    def _canonical(self, symbol: str) -> str | None:
        pair = self._by_v2_symbol.get(symbol)
        if pair is not None:
            return pair
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


def bar_of(item: WsOhlcItem) -> Bar:
    """The candle of an ohlc item (floats, like every ``Bar``)."""
    return Bar(
        time=_epoch(item.interval_begin),
        open=float(item.open),
        high=float(item.high),
        low=float(item.low),
        close=float(item.close),
        vwap=float(item.vwap),
        volume=float(item.volume),
        count=item.trades,
    )


@functools.lru_cache(maxsize=4096)
def _epoch(begin: datetime) -> int:
    """A candle's opening second: the same few times over and over, converted once each."""
    return int(begin.timestamp())


def _v2_symbol_of(meta: PairMetadata) -> str | None:
    """The v2 symbol of a pair (``BTC/USD``), or None when its wsname is not ``BASE/QUOTE``."""
    try:
        symbol = ws_v2_symbol(meta.ws_symbol)
    except ValueError:
        return None
    base, quote = symbol.split("/")
    return symbol if base and quote else None


async def _read_for_a_tick(
    ws: ClientConnection,
    conn: _Connection,
    handle: Callable[[str | bytes], bool],
    stop: asyncio.Event,
    clock: MonotonicClock,
) -> bool:
    """Handle frames until the next tick is due or ``TICK_SECONDS`` pass without one; True when
    one carried channel data.

    One timeout spans the tick's frames: a timeout per frame cost more than handling it. A
    receive of a frame already queued does not yield to the event loop, so in a flood the
    reader gives the other tasks (the publisher, the REST fallback) their turn now and then.
    """
    got_data, unyielded = False, 0
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(TICK_SECONDS):
            while not stop.is_set():
                raw = await ws.recv()
                conn.last_frame_at = now = clock.monotonic()
                got_data = handle(raw) or got_data
                if now >= conn.next_scan_at:
                    break
                unyielded += 1
                if unyielded >= YIELD_EVERY_FRAMES:
                    unyielded = 0
                    await asyncio.sleep(0)
    return got_data


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]
