"""A scripted Kraken WebSocket v2 server on a loopback socket, for frames the sandbox never sends.

It acknowledges every subscribe/unsubscribe symbol by symbol (as Kraken does), records the
requests, sends ``frames`` once after the first subscribe, and a heartbeat every 0.2 s.
With ``sessions``, the n-th connection sends ``sessions[n]`` instead and, unless it is the last
session, then closes (a dropped socket); a connection after the first waits for ``gate`` (when
given) before sending, so a test can look at the client while it is reconnected but unfed.
``push`` sends a frame on the open connection whenever the test says (lockstep feeds).
"""

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.server import ServerConnection, serve

from krakked_core.model.pairs import PairMetadata

HEARTBEAT = json.dumps({"channel": "heartbeat"})


@dataclass
class ScriptedWs:
    frames: list[str] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""
    sessions: list[list[str]] = field(default_factory=list)
    gate: asyncio.Event | None = None
    connections: int = 0
    _open: ServerConnection | None = None

    def subscribed(self, channel: str) -> set[str]:
        """Symbols of ``channel`` subscribed and not unsubscribed since (in request order)."""
        symbols: set[str] = set()
        for request in self.requests:
            params = request.get("params", {})
            if params.get("channel") != channel:
                continue
            if request.get("method") == "subscribe":
                symbols.update(params["symbol"])
            else:
                symbols.difference_update(params["symbol"])
        return symbols

    async def push(self, frame: str) -> None:
        """Send ``frame`` on the connection open now."""
        if self._open is None:
            raise RuntimeError("no client connected")
        await self._open.send(frame)

    async def _serve(self, ws: ServerConnection) -> None:
        index = self.connections
        self.connections += 1
        frames = self.sessions[index] if index < len(self.sessions) else self.frames
        drop = index < len(self.sessions) - 1
        self._open = ws
        await ws.send(
            json.dumps({"channel": "status", "type": "update", "data": [{"system": "online"}]})
        )
        beats = asyncio.create_task(_heartbeats(ws))
        sent = False
        try:
            async for raw in ws:
                request = json.loads(raw)
                self.requests.append(request)
                for symbol in request.get("params", {}).get("symbol", []):
                    await ws.send(json.dumps(_ack(request, symbol)))
                if not sent and request.get("method") == "subscribe":
                    sent = True
                    if index > 0 and self.gate is not None:
                        await self.gate.wait()
                    for frame in frames:
                        await ws.send(frame)
                    if drop:
                        await ws.close()
                        return
        finally:
            beats.cancel()


def _ack(request: dict[str, Any], symbol: str) -> dict[str, Any]:
    params = request["params"]
    return {
        "method": request["method"],
        "req_id": request.get("req_id"),
        "success": True,
        "result": {"channel": params["channel"], "symbol": symbol},
    }


async def _heartbeats(ws: ServerConnection) -> None:
    with contextlib.suppress(Exception):
        while True:
            await asyncio.sleep(0.2)
            await ws.send(HEARTBEAT)


@asynccontextmanager
async def scripted_ws(frames: list[str] | None = None) -> AsyncIterator[ScriptedWs]:
    script = ScriptedWs(frames=list(frames or []))
    async with serve(script._serve, "127.0.0.1", 0) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        script.url = f"ws://127.0.0.1:{port}"
        yield script


def pair(canonical: str, wsname: str) -> PairMetadata:
    base, quote = wsname.split("/")
    return PairMetadata(
        canonical=canonical,
        base=base,
        quote=quote,
        rest_symbol=canonical,
        ws_symbol=wsname,
        raw_name=canonical,
        price_decimals=1,
        volume_decimals=8,
        cost_decimals=5,
        lot_size="0.00000001",
        ordermin="0.0001",
        status="online",
    )


def ohlc_frame(symbol: str, **fields: Any) -> str:
    item = {
        "symbol": symbol,
        "interval": 1,
        "interval_begin": "2023-10-04T16:25:00.000000000Z",
        "open": 100.0,
        "high": 101.0,
        "low": 99.0,
        "close": 100.5,
        "volume": 2.5,
        "vwap": 100.2,
        "trades": 12,
        **fields,
    }
    return json.dumps({"channel": "ohlc", "type": "update", "data": [item]})


def ticker_frame(symbol: str, **fields: Any) -> str:
    item = {
        "symbol": symbol,
        "bid": 100.0,
        "bid_qty": 1.0,
        "ask": 100.5,
        "ask_qty": 2.0,
        "last": 100.2,
        "volume": 50.0,
        "vwap": 100.1,
        "low": 98.0,
        "high": 102.0,
        "change": -1.5,
        "change_pct": -1.47,
        **fields,
    }
    return json.dumps({"channel": "ticker", "type": "update", "data": [item]})
