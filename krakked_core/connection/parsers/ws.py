"""Kraken WebSocket v2 frames → typed messages. The only code that knows v2 field names.

Numbers are parsed exactly (``parse_float=Decimal``), timestamps (RFC3339, up to nanoseconds)
become aware UTC datetimes. A frame that cannot be understood is not an exception: it comes back
as an ``Unparsed`` value carrying a short ``kind`` (so callers can log once per kind) and a reason.
Symbols stay in v2 spelling (``BTC/USD``); translating them is the universe module's job.

Ticker and ohlc frames, nearly all of the traffic, take a fast path first: msgspec decodes them
straight into typed structs, once with floats (numbers only, no strings or booleans; the
decoder checks signs and range) and once with exact Decimals. A frame the fast path has any
doubt about goes through the general parser below, which decides item by item, so both accept
the same frames and yield the same values.
"""

import functools
import json
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar

import msgspec

DataType = Literal["snapshot", "update"]
_T = TypeVar("_T")

_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?"
    r"(Z|z|[+-]\d{2}:\d{2})$"
)


_FLOAT_MAX = Decimal(sys.float_info.max)


class _Malformed(ValueError):
    """A field is missing or has the wrong shape (internal: becomes ``Unparsed``)."""


# --- message types --------------------------------------------------------------------------


class WsTickerItem(msgspec.Struct, frozen=True):
    """One ``ticker`` data item (prices and quantities exact)."""

    symbol: str
    bid: Decimal
    bid_qty: Decimal
    ask: Decimal
    ask_qty: Decimal
    last: Decimal
    volume: Decimal
    vwap: Decimal
    low: Decimal
    high: Decimal
    change: Decimal
    change_pct: Decimal
    timestamp: datetime | None


class WsOhlcItem(msgspec.Struct, frozen=True):
    """One ``ohlc`` data item: the candle of ``interval`` minutes opening at ``interval_begin``."""

    symbol: str
    interval: int
    interval_begin: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    vwap: Decimal
    volume: Decimal
    trades: int
    timestamp: datetime | None


@dataclass(frozen=True, slots=True)
class Unparsed:
    """A frame or item we could not use: ``kind`` groups alike failures, ``reason`` says why."""

    kind: str
    reason: str


class TickerMessage(msgspec.Struct, frozen=True):  # a Struct: one is built per frame, cheaply
    """The usable items of a ``ticker`` frame; ``rejected``: its items that were not."""

    type: DataType
    items: tuple[WsTickerItem, ...]
    rejected: tuple[Unparsed, ...] = ()


class OhlcMessage(msgspec.Struct, frozen=True):  # a Struct: one is built per frame, cheaply
    """The usable items of an ``ohlc`` frame; ``rejected``: its items that were not."""

    type: DataType
    items: tuple[WsOhlcItem, ...]
    rejected: tuple[Unparsed, ...] = ()


@dataclass(frozen=True, slots=True)
class SubscriptionAck:
    """The answer to one ``subscribe``/``unsubscribe`` (Kraken sends one per symbol)."""

    method: Literal["subscribe", "unsubscribe"]
    req_id: int | None
    success: bool
    channel: str | None
    symbol: str | None
    interval: int | None
    error: str | None


@dataclass(frozen=True, slots=True)
class StatusMessage:
    system: str  # online | cancel_only | post_only | maintenance
    api_version: str | None
    connection_id: int | None


@dataclass(frozen=True, slots=True)
class Heartbeat:
    pass


@dataclass(frozen=True, slots=True)
class Pong:
    req_id: int | None


WsMessage = (
    TickerMessage | OhlcMessage | SubscriptionAck | StatusMessage | Heartbeat | Pong | Unparsed
)


# --- entry point ----------------------------------------------------------------------------


def parse_ws_message(raw: str | bytes) -> WsMessage:
    """Parse one WebSocket v2 frame; never raises on bad input (returns ``Unparsed``)."""
    fast = _data_frame(raw)
    return fast if fast is not None else parse_ws_message_generally(raw)


def parse_ws_message_generally(raw: str | bytes) -> WsMessage:
    """Parse one frame field by field, without the fast path (it decides every doubt)."""
    try:
        frame = json.loads(raw, parse_float=Decimal)
    # A frame nested too deep for the decoder raises RecursionError: bad input like any other.
    except (ValueError, UnicodeDecodeError, RecursionError, OverflowError) as exc:
        return Unparsed("malformed_json", f"not JSON: {type(exc).__name__}: {str(exc)[:200]}")
    if not isinstance(frame, dict):
        return Unparsed("malformed_frame", f"expected an object, got {type(frame).__name__}")
    try:
        return _dispatch(frame)
    except _Malformed as exc:
        return Unparsed(_kind_of(frame), str(exc))


def _kind_of(frame: Mapping[str, Any]) -> str:
    name = frame.get("channel") or frame.get("method") or "frame"
    return f"malformed_{name}" if isinstance(name, str) else "malformed_frame"


def _dispatch(frame: Mapping[str, Any]) -> WsMessage:
    channel = frame.get("channel")
    if channel is not None:
        return _channel_message(channel, frame)
    method = frame.get("method")
    if method in ("subscribe", "unsubscribe"):
        return _subscription_ack(frame)
    if method == "pong":
        return Pong(_optional_int(frame, "req_id"))
    return Unparsed(f"unknown_method_{str(method)[:32]}", f"unknown method {method!r}")


def _channel_message(channel: object, frame: Mapping[str, Any]) -> WsMessage:
    if channel == "ticker":
        return TickerMessage(_data_type(frame), *_items(frame, "ticker", _ticker_item))
    if channel == "ohlc":
        return OhlcMessage(_data_type(frame), *_items(frame, "ohlc", _ohlc_item))
    if channel == "heartbeat":
        return Heartbeat()
    if channel == "status":
        return _status(frame)
    return Unparsed(f"unknown_channel_{str(channel)[:32]}", f"unknown channel {channel!r}")


# --- data channels --------------------------------------------------------------------------


def _data_type(frame: Mapping[str, Any]) -> DataType:
    kind = frame.get("type")
    if kind not in ("snapshot", "update"):
        raise _Malformed(f"type must be snapshot or update, got {kind!r}")
    return "snapshot" if kind == "snapshot" else "update"


def _items(
    frame: Mapping[str, Any], channel: str, parse: Callable[[Mapping[str, Any]], _T]
) -> tuple[tuple[_T, ...], tuple[Unparsed, ...]]:
    """Parse item by item: a bad item costs that item only, not the good ones beside it."""
    data = frame.get("data")
    if not isinstance(data, list):
        raise _Malformed("data must be a list")
    items: list[_T] = []
    rejected: list[Unparsed] = []
    for item in data:
        try:
            items.append(parse(_mapping(item, "data item")))
        except _Malformed as exc:
            rejected.append(Unparsed(f"malformed_{channel}", str(exc)))
    if rejected and not items:  # nothing usable: the frame as a whole is malformed
        raise _Malformed(rejected[0].reason)
    return tuple(items), tuple(rejected)


def _ticker_item(item: Mapping[str, Any]) -> WsTickerItem:
    return WsTickerItem(
        symbol=_str(item, "symbol"),
        bid=_non_negative(item, "bid"),
        bid_qty=_non_negative(item, "bid_qty"),
        ask=_non_negative(item, "ask"),
        ask_qty=_non_negative(item, "ask_qty"),
        last=_non_negative(item, "last"),
        volume=_non_negative(item, "volume"),
        vwap=_non_negative(item, "vwap"),
        low=_non_negative(item, "low"),
        high=_non_negative(item, "high"),
        change=_decimal(item, "change"),  # change and change_pct may be negative
        change_pct=_decimal(item, "change_pct"),
        timestamp=_optional_time(item, "timestamp"),
    )


def _ohlc_item(item: Mapping[str, Any]) -> WsOhlcItem:
    return WsOhlcItem(
        symbol=_str(item, "symbol"),
        interval=_positive_int(item, "interval"),
        interval_begin=_time(item, "interval_begin"),
        open=_non_negative(item, "open"),
        high=_non_negative(item, "high"),
        low=_non_negative(item, "low"),
        close=_non_negative(item, "close"),
        vwap=_non_negative(item, "vwap"),
        volume=_non_negative(item, "volume"),
        trades=_non_negative_int(item, "trades"),
        timestamp=_optional_time(item, "timestamp"),
    )


# --- the fast path for data frames -----------------------------------------------------------

_Symbol = Annotated[str, msgspec.Meta(min_length=1)]
_Count = Annotated[int, msgspec.Meta(ge=0)]
_Minutes = Annotated[int, msgspec.Meta(gt=0)]
# The checks the general parser makes, made by the decoder (in C): amounts not negative, and
# well inside the float range (a float at or beyond 1e308 may stand for a Decimal beyond it:
# the general parser decides those). A change may be negative.
_Amount = Annotated[float, msgspec.Meta(ge=0, lt=1e308)]
_Change = Annotated[float, msgspec.Meta(gt=-1e308, lt=1e308)]


class _TickerFloats(msgspec.Struct):
    symbol: _Symbol
    bid: _Amount
    bid_qty: _Amount
    ask: _Amount
    ask_qty: _Amount
    last: _Amount
    volume: _Amount
    vwap: _Amount
    low: _Amount
    high: _Amount
    change: _Change
    change_pct: _Change


class _TickerExact(WsTickerItem, frozen=True):
    """A ticker item as decoded: its time still text (parsed the way the general parser does)."""

    timestamp: str | None = None  # type: ignore[assignment]


class _OhlcFloats(msgspec.Struct):
    symbol: _Symbol
    interval: _Minutes
    open: _Amount
    high: _Amount
    low: _Amount
    close: _Amount
    vwap: _Amount
    volume: _Amount
    trades: _Count


class _OhlcExact(WsOhlcItem, frozen=True):
    """An ohlc item as decoded: its times still text."""

    interval_begin: str  # type: ignore[assignment]
    timestamp: str | None = None  # type: ignore[assignment]


class _TickerCheck(msgspec.Struct, tag_field="channel", tag="ticker"):
    type: DataType
    data: list[_TickerFloats]


class _OhlcCheck(msgspec.Struct, tag_field="channel", tag="ohlc"):
    type: DataType
    data: list[_OhlcFloats]


class _TickerFrame(msgspec.Struct, tag_field="channel", tag="ticker"):
    type: DataType
    data: list[_TickerExact]


class _OhlcFrame(msgspec.Struct, tag_field="channel", tag="ohlc"):
    type: DataType
    data: list[_OhlcExact]


_CHECK = msgspec.json.Decoder(_TickerCheck | _OhlcCheck)
_EXACT = msgspec.json.Decoder(_TickerFrame | _OhlcFrame)


def _data_frame(raw: str | bytes) -> TickerMessage | OhlcMessage | None:
    """A ticker or ohlc frame whose every item is sound, else None (the general parser then
    decides, item by item)."""
    try:
        _CHECK.decode(raw)  # every item sound, or DecodeError
        frame = _EXACT.decode(raw)
        if isinstance(frame, _TickerFrame):
            return TickerMessage(frame.type, tuple(map(_ticker_of, frame.data)))
        return OhlcMessage(frame.type, tuple(map(_ohlc_of, frame.data)))
    except (msgspec.DecodeError, _Malformed):
        return None


# (The ignores: mypy takes a starred tuple of unknown length for too many arguments.)
def _ticker_of(item: _TickerExact) -> WsTickerItem:
    *values, stamp = msgspec.structs.astuple(item)
    return WsTickerItem(*values, None if stamp is None else parse_rfc3339(stamp))  # type: ignore[call-arg]


def _ohlc_of(item: _OhlcExact) -> WsOhlcItem:
    symbol, interval, begin, *values, stamp = msgspec.structs.astuple(item)
    time = None if stamp is None else parse_rfc3339(stamp)
    return WsOhlcItem(symbol, interval, _bar_begin(begin), *values, time)  # type: ignore[call-arg]


@functools.lru_cache(maxsize=4096)
def _bar_begin(text: str) -> datetime:
    """A candle's opening time: the same few strings over and over, parsed once each."""
    return parse_rfc3339(text)


# --- control messages -----------------------------------------------------------------------


def _status(frame: Mapping[str, Any]) -> StatusMessage:
    data = frame.get("data")
    if not isinstance(data, list) or not data:
        raise _Malformed("status data must be a non-empty list")
    item = _mapping(data[0], "status item")
    api_version = item.get("api_version")
    return StatusMessage(
        system=_str(item, "system"),
        api_version=api_version if isinstance(api_version, str) else None,
        connection_id=_optional_int(item, "connection_id"),
    )


def _subscription_ack(frame: Mapping[str, Any]) -> SubscriptionAck:
    success = frame.get("success")
    if not isinstance(success, bool):
        raise _Malformed("success must be true or false")
    result = frame.get("result")
    result = result if isinstance(result, Mapping) else {}
    # A failed ack may carry no result; Kraken then names the symbol at the top level.
    symbol = result.get("symbol", frame.get("symbol"))
    channel = result.get("channel", frame.get("channel"))
    error = frame.get("error")
    return SubscriptionAck(
        method="subscribe" if frame.get("method") == "subscribe" else "unsubscribe",
        req_id=_optional_int(frame, "req_id"),
        success=success,
        channel=channel if isinstance(channel, str) else None,
        symbol=symbol if isinstance(symbol, str) else None,
        interval=_optional_int(result, "interval"),
        error=None if error is None else str(error),
    )


# --- fields ---------------------------------------------------------------------------------


def _mapping(value: object, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _Malformed(f"{what} must be an object")
    return value


def _str(item: Mapping[str, Any], key: str) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value:
        raise _Malformed(f"{key} must be a non-empty string, got {value!r}")
    return value


def _decimal(item: Mapping[str, Any], key: str) -> Decimal:
    value = item.get(key)
    # bool is an int subclass; Kraken never sends a price as true/false.
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise _Malformed(f"{key} must be a number, got {value!r}")
    number = Decimal(value)
    # Beyond the float range a value would become an infinite price in the float-based models.
    if not number.is_finite() or abs(number) > _FLOAT_MAX:
        raise _Malformed(f"{key} must be a finite number in range, got {str(value)[:40]}")
    return number


def _non_negative(item: Mapping[str, Any], key: str) -> Decimal:
    number = _decimal(item, key)
    if number < 0:
        raise _Malformed(f"{key} must not be negative, got {number}")
    return number


def _non_negative_int(item: Mapping[str, Any], key: str) -> int:
    number = _int(item, key)
    if number < 0:
        raise _Malformed(f"{key} must not be negative, got {number}")
    return number


def _positive_int(item: Mapping[str, Any], key: str) -> int:
    number = _int(item, key)
    if number <= 0:
        raise _Malformed(f"{key} must be positive, got {number}")
    return number


def _int(item: Mapping[str, Any], key: str) -> int:
    value = item.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Malformed(f"{key} must be an integer, got {value!r}")
    return value


def _optional_int(item: Mapping[str, Any], key: str) -> int | None:
    return None if item.get(key) is None else _int(item, key)


def _time(item: Mapping[str, Any], key: str) -> datetime:
    value = item.get(key)
    if not isinstance(value, str):
        raise _Malformed(f"{key} must be an RFC3339 string, got {value!r}")
    return parse_rfc3339(value)


def _optional_time(item: Mapping[str, Any], key: str) -> datetime | None:
    return None if item.get(key) is None else _time(item, key)


def parse_rfc3339(text: str) -> datetime:
    """``2023-10-04T16:25:00.000000000Z`` → aware UTC datetime (nanoseconds cut to micro)."""
    match = _RFC3339.match(text)
    if match is None:
        raise _Malformed(f"not an RFC3339 time: {text!r}")
    if text[10] == "T" and text[-1] == "Z":  # Kraken's form: the C parser, which cuts alike
        try:
            return datetime.fromisoformat(text)
        except ValueError as exc:
            raise _Malformed(f"not a valid time: {text!r}") from exc
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    micros = int((fraction or "0").ljust(6, "0")[:6])
    try:
        parsed = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), micros, tzinfo=UTC
        )
    except ValueError as exc:
        raise _Malformed(f"not a valid time: {text!r}") from exc
    if offset not in ("Z", "z"):
        sign = 1 if offset[0] == "+" else -1
        try:  # an offset can push a time at the calendar's edge out of range
            parsed -= sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6]))
        except OverflowError as exc:
            raise _Malformed(f"time out of range: {text!r}") from exc
    return parsed
