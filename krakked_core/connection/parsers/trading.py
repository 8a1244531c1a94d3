"""Kraken's replies to the trading calls and ``GetWebSocketsToken`` → domain values.

A state-changing call whose reply cannot be read may still have acted, so its parser raises
``OrderOutcomeUnknown`` (look it up), never a plain parse error that could pass for "failed".
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pydantic import SecretStr

from krakked_core.connection.errors import outcome_unknown
from krakked_core.connection.parsers.ws import parse_rfc3339
from krakked_core.errors import ServiceUnavailableError
from krakked_core.model.account import CancelAck, DeadMansSwitch, OrderAck

_DISARMED = "0"  # CancelAllOrdersAfter's triggerTime when the switch is off


@dataclass(frozen=True)
class WebSocketsToken:
    """The token for Kraken's authenticated WebSocket; a credential, so kept as a secret."""

    token: SecretStr
    expires_in: timedelta


def parse_add_order(
    result: object, *, validate: bool = False, cl_ord_id: str | None = None
) -> OrderAck:
    """``AddOrder`` → the order's txids; a real order's reply without one is an unknown outcome."""
    try:
        body = _mapping(result)
        descr = body.get("descr") or {}
        description = str(descr.get("order") or "") if isinstance(descr, Mapping) else ""
        raw_txids = body.get("txid") or []
        if not isinstance(raw_txids, list):
            raise ValueError("txid is not a list")
        txids = tuple(str(txid) for txid in raw_txids if txid)
        if not validate and not txids:
            raise ValueError("no txid in the reply")
    except (TypeError, ValueError) as exc:
        raise outcome_unknown(
            "AddOrder", f"unreadable reply ({exc})", cl_ord_id=cl_ord_id
        ) from None
    return OrderAck(txids=txids, description=description)


def parse_cancel(result: object, *, method: str = "CancelOrder") -> CancelAck:
    """``CancelOrder`` / ``CancelAll`` → how many orders were cancelled."""
    try:
        body = _mapping(result)
        count = _count(body["count"])
    except (KeyError, TypeError, ValueError) as exc:
        raise outcome_unknown(method, f"unreadable reply ({exc})") from None
    return CancelAck(count=count, pending=bool(body.get("pending", False)))


def parse_cancel_all_orders_after(result: object) -> DeadMansSwitch:
    """``CancelAllOrdersAfter`` → when the switch fires (None when ``timeout=0`` disarmed it)."""
    try:
        body = _mapping(result)
        trigger = str(body["triggerTime"])
        return DeadMansSwitch(
            server_time=parse_rfc3339(str(body["currentTime"])),
            trigger_time=None if trigger == _DISARMED else parse_rfc3339(trigger),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise outcome_unknown("CancelAllOrdersAfter", f"unreadable reply ({exc})") from None


def parse_websockets_token(result: object) -> WebSocketsToken:
    """``GetWebSocketsToken`` → the token and how long it stays valid."""
    try:
        body = _mapping(result)
        token = body["token"]
        if not isinstance(token, str) or not token:
            raise ValueError("token is not a non-empty string")
        expires = timedelta(seconds=_count(body["expires"]))
    except (KeyError, TypeError, ValueError) as exc:
        # The message names the fault, never the token.
        raise ServiceUnavailableError(
            f"GetWebSocketsToken: unreadable reply ({type(exc).__name__})",
            method="GetWebSocketsToken",
        ) from None
    return WebSocketsToken(token=SecretStr(token), expires_in=expires)


def _mapping(value: object) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise TypeError(f"the result is not an object: {type(value).__name__}")
    return value


def _count(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"not a count: {value!r}")
    number = int(value)
    if number < 0:
        raise ValueError(f"negative count: {number}")
    return number
