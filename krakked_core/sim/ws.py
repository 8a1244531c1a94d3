"""Kraken's WebSocket v2 at ``/v2``: status, heartbeat, ping, ``ticker``, ``ohlc`` and the
authenticated ``executions`` channel (a ``GetWebSocketsToken`` token in ``params.token``).

One WsSession per connection: a reader answers requests, a pump sends data for the running
subscriptions (ticker when the price moved, at most once a second per pair; ohlc when the
running candle changed or a new interval began, then first the candle that closed, with all its
trades) and heartbeats when nothing else went out for a second. The fault profile can drop the
connection every N seconds, break data frames, or keep a channel silent after acknowledging it
(Kraken's known failure).
"""

import asyncio
import contextlib
import itertools
import json
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocket, WebSocketDisconnect

from krakked_core.sim.auth import KeyRegistry
from krakked_core.sim.errors import SimError
from krakked_core.sim.exchange import Exchange
from krakked_core.sim.faults import FaultInjector
from krakked_core.sim.public import OHLC_INTERVALS
from krakked_core.sim.wire import rfc3339

log = logging.getLogger(__name__)

API_VERSION = "v2"
SERVER_VERSION = "2.0.10"
CHANNELS = frozenset({"ticker", "ohlc"})
EXECUTIONS = "executions"
PUMP_SECONDS = 0.2
HEARTBEAT_SECONDS = 1.0
POLL_SECONDS = 1.0  # ticker updates at most once a second per pair, as Kraken's

# Kraken's v2 error strings (those Kraken documents or is known to send).
ERR_METHOD = "Event(s) not found"
ERR_MALFORMED = "Malformed request"
ERR_CHANNEL = "Channel(s) not found"
ERR_SYMBOL = "Currency pair not supported {symbol}"
ERR_INTERVAL = "Subscription ohlc interval not supported"
ERR_MISSING = "Missing field: {name}"
ERR_ALREADY = "Already subscribed"
ERR_NOT_SUBSCRIBED = "Subscription Not Found"
ERR_TOKEN = "Invalid token"  # noqa: S105 - an error text; Kraken documents none for this

# How a send or receive fails once the client is gone: not worth a warning.
_GONE = (WebSocketDisconnect, ConnectionError, OSError, RuntimeError)

# Closes a connection abruptly (no close frame); False when the server cannot.
WsDropper = Callable[[WebSocket], bool]

_connection_ids = itertools.count(1)


@dataclass
class Subscription:
    channel: str
    symbol: str
    pair: str  # the exchange's pair key
    interval: int | None = None
    last_item: dict[str, Any] | None = None
    last_polled: float = 0.0  # monotonic seconds


class RequestError(Exception):
    """A request refused with a v2 error ack."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class _Request:
    method: str
    req_id: int | None
    params: dict[str, Any] = field(default_factory=dict)


class WsSession:
    """One client connection to ``/v2``."""

    def __init__(
        self,
        websocket: WebSocket,
        exchange: Exchange,
        faults: FaultInjector,
        drop: WsDropper,
        keys: KeyRegistry,
    ) -> None:
        self._ws = websocket
        self._exchange = exchange
        self._keys = keys
        self._executions: _Executions | None = None
        self._faults = faults
        self._drop = drop
        self._rng: random.Random = faults.ws_rng()
        self._subs: dict[tuple[str, str, int | None], Subscription] = {}
        self._send_lock = asyncio.Lock()
        self._last_data = time.monotonic()
        self._heartbeats = False  # Kraken starts them with the first subscription

    async def run(self) -> None:
        """Serve the connection until the client leaves or a fault drops it."""
        await self._ws.accept()
        await self._send(self._status_message())
        tasks = [asyncio.create_task(self._read()), asyncio.create_task(self._pump())]
        drop_after = self._faults.profile.drop_every_seconds
        if drop_after:
            tasks.append(asyncio.create_task(self._drop_after(drop_after)))
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        for task in done:
            error = None if task.cancelled() else task.exception()
            if error is not None and not isinstance(error, _GONE):
                log.warning("WebSocket session failed", exc_info=error)

    def _now(self) -> str:
        return rfc3339(self._exchange.clock.now(), micros=True)

    def _status_message(self) -> dict[str, Any]:
        return {
            "channel": "status",
            "type": "update",
            "data": [
                {
                    "api_version": API_VERSION,
                    "connection_id": next(_connection_ids),
                    "system": "online",
                    "version": SERVER_VERSION,
                }
            ],
        }

    # --- sending ---------------------------------------------------------------------------

    async def _send(self, message: dict[str, Any]) -> None:
        async with self._send_lock:
            await self._ws.send_text(json.dumps(message, separators=(",", ":")))

    async def _send_data(self, message: dict[str, Any]) -> None:
        """Send a channel frame, broken on purpose at the profile's malformed-frame rate."""
        self._last_data = time.monotonic()
        text = json.dumps(message, separators=(",", ":"))
        if self._rng.random() < self._faults.profile.malformed_frame_rate:
            text = text[: len(text) // 2]
        async with self._send_lock:
            await self._ws.send_text(text)

    async def _drop_after(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
        log.info("sim fault: dropping WebSocket connection")
        if not self._drop(self._ws):
            await self._ws.close(code=1011, reason="sim fault")

    # --- reading ---------------------------------------------------------------------------

    async def _read(self) -> None:
        with contextlib.suppress(WebSocketDisconnect):
            while True:
                message = await self._ws.receive()
                if message["type"] == "websocket.disconnect":
                    return
                text = message.get("text") or (message.get("bytes") or b"").decode(errors="replace")
                time_in = self._now()
                for reply in await self._handle(text, time_in):
                    if "channel" in reply:  # a snapshot: data, like any other channel frame
                        await self._send_data(reply)
                    else:
                        await self._send(reply)

    async def _handle(self, text: str, time_in: str) -> list[dict[str, Any]]:
        try:
            request = _parse_request(text)
        except RequestError as exc:
            return [self._ack(None, time_in, error=exc.message)]
        if request.method == "ping":
            return [self._ack(request, time_in, pong=True)]
        if request.method not in {"subscribe", "unsubscribe"}:
            return [self._ack(request, time_in, error=ERR_METHOD)]
        if request.params.get("channel") == EXECUTIONS:
            return await self._executions_request(request, time_in)
        try:
            channel, symbols, interval = _channel_params(request)
        except RequestError as exc:
            return [self._ack(request, time_in, error=exc.message)]
        replies = []
        for symbol in symbols:
            replies.extend(await self._one_symbol(request, channel, symbol, interval, time_in))
        return replies

    async def _one_symbol(
        self, request: _Request, channel: str, symbol: str, interval: int | None, time_in: str
    ) -> list[dict[str, Any]]:
        result: dict[str, Any] = {"channel": channel, "symbol": symbol}
        if interval is not None:
            result["interval"] = interval
        try:
            if request.method == "unsubscribe":
                self._unsubscribe(channel, symbol, interval)
                return [self._ack(request, time_in, result=result)]
            snapshot = request.params.get("snapshot", True) is not False
            sub = self._subscribe(channel, symbol, interval)
        except RequestError as exc:
            return [self._ack(request, time_in, error=exc.message, symbol=symbol)]
        replies = [self._ack(request, time_in, result={**result, "snapshot": snapshot})]
        self._heartbeats = True
        if snapshot and not self._faults.profile.is_silent(channel, symbol):
            item = await self._item(sub)
            sub.last_item, sub.last_polled = item, time.monotonic()
            replies.append({"channel": channel, "type": "snapshot", "data": [item]})
        return replies

    def _ack(
        self,
        request: _Request | None,
        time_in: str,
        *,
        result: dict[str, Any] | None = None,
        error: str | None = None,
        symbol: str | None = None,
        pong: bool = False,
    ) -> dict[str, Any]:
        message: dict[str, Any] = {}
        if pong:
            message["method"] = "pong"
        elif request is not None:
            message["method"] = request.method
        if result is not None:
            message["result"] = result
        if not pong:
            message["success"] = error is None
        if error is not None:
            message["error"] = error
            if symbol is not None:
                message["symbol"] = symbol
        if request is not None and request.req_id is not None:
            message["req_id"] = request.req_id
        message["time_in"] = time_in
        message["time_out"] = self._now()
        return message

    # --- subscriptions ---------------------------------------------------------------------

    def _subscribe(self, channel: str, symbol: str, interval: int | None) -> Subscription:
        pair = self._pair_for(symbol)
        key = (channel, symbol, interval)
        if key in self._subs:
            raise RequestError(ERR_ALREADY)
        sub = Subscription(channel=channel, symbol=symbol, pair=pair, interval=interval)
        self._subs[key] = sub
        return sub

    def _unsubscribe(self, channel: str, symbol: str, interval: int | None) -> None:
        self._pair_for(symbol)
        if self._subs.pop((channel, symbol, interval), None) is None:
            raise RequestError(ERR_NOT_SUBSCRIBED)

    def _pair_for(self, symbol: str) -> str:
        try:
            pair = self._exchange.markets.pair_for_ws_symbol(symbol)
        except (SimError, KeyError, ValueError):
            pair = None
        if not pair:
            raise RequestError(ERR_SYMBOL.format(symbol=symbol))
        return str(pair)

    async def _executions_request(self, request: _Request, time_in: str) -> list[dict[str, Any]]:
        """Subscribe to (or leave) the account's executions: ack, then the snapshot."""
        result: dict[str, Any] = {"channel": EXECUTIONS}
        token = request.params.get("token")
        if request.method == "unsubscribe":
            if self._executions is None:
                return [self._ack(request, time_in, error=ERR_NOT_SUBSCRIBED)]
            self._executions = None
            return [self._ack(request, time_in, result=result)]
        if token is None:
            return [self._ack(request, time_in, error=ERR_MISSING.format(name="token"))]
        if not isinstance(token, str) or self._keys.token_owner(token) is None:
            return [self._ack(request, time_in, error=ERR_TOKEN)]
        if self._executions is not None:
            return [self._ack(request, time_in, error=ERR_ALREADY)]
        snap_orders = request.params.get("snap_orders", True) is not False
        snap_trades = request.params.get("snap_trades", True) is not False
        items, cursor = await run_in_threadpool(
            lambda: self._exchange.executions_snapshot(orders=snap_orders, trades=snap_trades)
        )
        self._executions = _Executions(cursor)
        self._heartbeats = True
        replies = [self._ack(request, time_in, result={**result, "snapshot": True})]
        replies.append(self._executions.message("snapshot", items))
        return replies

    async def _pump_executions(self) -> None:
        feed = self._executions
        if feed is None or self._faults.profile.is_silent(EXECUTIONS, ""):
            return
        items, cursor = await run_in_threadpool(self._exchange.executions_since, feed.cursor)
        if cursor - feed.cursor > len(items):
            feed.sequence += 1  # events fell out of the feed's history: show the client a gap
        feed.cursor = cursor
        if items and self._executions is feed:
            await self._send_data(feed.message("update", items))

    async def _item(self, sub: Subscription) -> dict[str, Any]:
        if sub.channel == "ticker":
            item: dict[str, Any] = await run_in_threadpool(self._exchange.ticker_v2, sub.pair)
        else:
            item = await run_in_threadpool(self._exchange.ohlc_v2, sub.pair, sub.interval or 1)
        return {**item, "symbol": sub.symbol}

    # --- the pump --------------------------------------------------------------------------

    async def _pump(self) -> None:
        while True:
            await asyncio.sleep(PUMP_SECONDS)
            for sub in list(self._subs.values()):
                if self._faults.profile.is_silent(sub.channel, sub.symbol):
                    continue
                try:
                    await self._maybe_update(sub)
                except SimError as exc:  # one pair failing must not silence the others
                    log.warning("no %s item for %s: %s", sub.channel, sub.symbol, exc.kraken_error)
            await self._pump_executions()
            if self._heartbeats and time.monotonic() - self._last_data >= HEARTBEAT_SECONDS:
                await self._send_data({"channel": "heartbeat"})

    async def _maybe_update(self, sub: Subscription) -> None:
        """Send an update when the item changed; each subscription is polled once a second."""
        now = time.monotonic()
        if now - sub.last_polled < POLL_SECONDS:
            return
        sub.last_polled = now
        item = await self._item(sub)
        if sub.last_item is not None and _same(item, sub.last_item):
            return
        if (sub.channel, sub.symbol, sub.interval) not in self._subs:
            return  # unsubscribed while we were asking
        previous, sub.last_item = sub.last_item, item
        if previous is not None and sub.channel == "ohlc" and _begins_later(item, previous):
            # Kraken sends an ohlc update on every trade, so its last update of an interval holds
            # every trade of it; a poll misses the trades after the previous poll. Send the
            # candle as it closed first, or the client closes it without them.
            closed = await self._closed_candle(sub, previous)
            if not _same(closed, previous):
                await self._send_data({"channel": sub.channel, "type": "update", "data": [closed]})
        await self._send_data({"channel": sub.channel, "type": "update", "data": [item]})

    async def _closed_candle(self, sub: Subscription, running: dict[str, Any]) -> dict[str, Any]:
        """The candle of ``running``'s interval with all its trades (as of its last instant)."""
        minutes = sub.interval or 1
        last_instant = _interval_begin(running) + timedelta(minutes=minutes, microseconds=-1)
        item = await run_in_threadpool(self._exchange.ohlc_v2, sub.pair, minutes, last_instant)
        return {**item, "symbol": sub.symbol}


@dataclass
class _Executions:
    """One connection's executions subscription: where it is in the feed, its sequence."""

    cursor: int
    sequence: int = 0

    def message(self, kind: str, items: list[dict[str, Any]]) -> dict[str, Any]:
        self.sequence += 1
        return {"channel": EXECUTIONS, "type": kind, "data": items, "sequence": self.sequence}


def _same(item: dict[str, Any], previous: dict[str, Any]) -> bool:
    """Whether an item says nothing new (its ``timestamp`` alone changing is not news)."""
    return {k: v for k, v in item.items() if k != "timestamp"} == {
        k: v for k, v in previous.items() if k != "timestamp"
    }


def _interval_begin(item: dict[str, Any]) -> datetime:
    # "2026-03-02T12:00:00.000000000Z": nanoseconds, which datetime cannot parse; always zero.
    return datetime.fromisoformat(str(item["interval_begin"])[:19]).replace(tzinfo=UTC)


def _begins_later(item: dict[str, Any], previous: dict[str, Any]) -> bool:
    return _interval_begin(item) > _interval_begin(previous)


def _parse_request(text: str) -> _Request:
    try:
        data = json.loads(text)
    except ValueError:
        raise RequestError(ERR_MALFORMED) from None
    if not isinstance(data, dict):
        raise RequestError(ERR_MALFORMED)
    method, req_id, params = data.get("method"), data.get("req_id"), data.get("params", {})
    if not isinstance(method, str):
        raise RequestError(ERR_METHOD)
    if req_id is not None and (isinstance(req_id, bool) or not isinstance(req_id, int)):
        raise RequestError(ERR_MALFORMED)
    if not isinstance(params, dict):
        raise RequestError(ERR_MALFORMED)
    return _Request(method=method, req_id=req_id, params=params)


def _channel_params(request: _Request) -> tuple[str, list[str], int | None]:
    params = request.params
    channel = params.get("channel")
    if channel is None:
        raise RequestError(ERR_MISSING.format(name="channel"))
    if channel not in CHANNELS:
        raise RequestError(ERR_CHANNEL)
    symbols = params.get("symbol")
    if symbols is None:
        raise RequestError(ERR_MISSING.format(name="symbol"))
    if not isinstance(symbols, list) or not all(isinstance(s, str) for s in symbols):
        raise RequestError(ERR_MALFORMED)
    if not symbols:
        raise RequestError(ERR_MISSING.format(name="symbol"))
    if channel != "ohlc":
        return channel, symbols, None
    interval = params.get("interval", 1)
    if isinstance(interval, bool) or interval not in OHLC_INTERVALS:
        raise RequestError(ERR_INTERVAL)
    return channel, symbols, int(interval)
