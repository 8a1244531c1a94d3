"""Kraken-wire helpers for driving the sandbox in tests: an order that rests, WS frame readers."""

import asyncio
import json
import time
from decimal import Decimal
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from tests.sim.server.raw_kraken import RawKraken

WAIT = 5.0  # generous deadline for one expected message


async def recv_json(ws: ClientConnection, timeout: float = WAIT) -> dict[str, Any]:
    raw = await asyncio.wait_for(ws.recv(), timeout)
    data: dict[str, Any] = json.loads(raw)
    return data


async def recv_until(ws: ClientConnection, wanted: Any, timeout: float = WAIT) -> dict[str, Any]:
    """The first message for which ``wanted(message)`` holds (others are skipped)."""
    deadline = time.monotonic() + timeout
    while True:
        message = await recv_json(ws, max(0.01, deadline - time.monotonic()))
        if wanted(message):
            return message


async def collect(ws: ClientConnection, seconds: float) -> list[dict[str, Any]]:
    """Every message received during ``seconds``."""
    out: list[dict[str, Any]] = []
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            out.append(await recv_json(ws, left))
        except TimeoutError:
            break
    return out


async def opened(url: str) -> ClientConnection:
    ws = await connect(url)
    status = await recv_json(ws)
    assert status["channel"] == "status"
    return ws


def resting_buy(kraken: RawKraken, **extra: Any) -> dict[str, Any]:
    """AddOrder params for a small XBTUSD limit buy far below the market (it rests)."""
    ticker = kraken.public("Ticker", pair="XBTUSD")["result"]
    ask = Decimal(next(iter(ticker.values()))["a"][0])
    price = (ask / 2).quantize(Decimal("0.1"))
    return {
        "pair": "XBTUSD",
        "type": "buy",
        "ordertype": "limit",
        "price": str(price),
        "volume": "0.001",
        **extra,
    }


def is_channel(channel: str, kind: str | None = None) -> Any:
    return lambda m: m.get("channel") == channel and (kind is None or m.get("type") == kind)
