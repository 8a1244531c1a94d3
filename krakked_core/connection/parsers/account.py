"""Kraken account results (``TradesHistory``, ``Ledgers``, ``Open``/``ClosedOrders``, ``Balance``).

The only code that knows Kraken's account field names. Each parser takes one endpoint's
``result``; a malformed row is logged (once per call, with the count) and skipped, never raised,
so one odd row cannot stop the books from syncing. Money becomes ``Decimal`` through
``model.money``; times become aware UTC datetimes, exactly (no float on the way).
"""

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from krakked_core.connection.ledger_types import ledger_kind
from krakked_core.connection.symbols import canonical_pair, normalize, split_pair
from krakked_core.model.account import (
    AccountBalances,
    ExchangeOrder,
    LedgerEntry,
    Page,
    Side,
    TradeFill,
)
from krakked_core.model.money import non_negative, to_decimal

logger = logging.getLogger(__name__)

T = TypeVar("T")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ROW_ERRORS = (KeyError, IndexError, TypeError, ValueError, ArithmeticError)


def epoch_to_utc(value: Any) -> datetime:
    """Kraken's epoch seconds (number or string, fractional) → aware UTC datetime, to the µs."""
    seconds = to_decimal(value if isinstance(value, str | int) else str(value), field="time")
    whole = int(seconds)
    micros = int(((seconds - whole) * 1_000_000).to_integral_value())
    return _EPOCH + timedelta(seconds=whole, microseconds=micros)


def parse_trades_history(
    result: object, pairs: Mapping[str, tuple[str, str]] | None = None
) -> Page[TradeFill]:
    """``TradesHistory`` → a page of fills; ``pairs`` maps raw pair names to (base, quote)."""
    body = _mapping(result, "TradesHistory")
    return _page(
        "TradesHistory trade",
        _mapping(body.get("trades", {}), "TradesHistory.trades"),
        body,
        lambda key, row: _trade(key, row, pairs),
        ("time",),
    )


def parse_ledgers(result: object) -> Page[LedgerEntry]:
    """``Ledgers`` → a page of ledger entries."""
    body = _mapping(result, "Ledgers")
    return _page(
        "Ledgers entry", _mapping(body.get("ledger", {}), "Ledgers.ledger"), body, _entry, ("time",)
    )


def parse_closed_orders(
    result: object, pairs: Mapping[str, tuple[str, str]] | None = None
) -> Page[ExchangeOrder]:
    """``ClosedOrders`` → a page of orders with their tags (``userref`` / ``cl_ord_id``)."""
    body = _mapping(result, "ClosedOrders")
    return _page(
        "ClosedOrders order",
        _mapping(body.get("closed", {}), "ClosedOrders"),
        body,
        lambda key, row: _order(key, row, pairs),
        ("closetm", "opentm"),
    )


def parse_open_orders(
    result: object, pairs: Mapping[str, tuple[str, str]] | None = None
) -> Page[ExchangeOrder]:
    """``OpenOrders`` → the open orders (one page: Kraken does not page them)."""
    body = _mapping(result, "OpenOrders")
    return _page(
        "OpenOrders order",
        _mapping(body.get("open", {}), "OpenOrders.open"),
        body,
        lambda key, row: _order(key, row, pairs),
        ("opentm",),
    )


def parse_balance(result: object) -> AccountBalances:
    """``Balance`` → totals per normalized asset code (suffix variants kept apart)."""
    rows = _mapping(result, "Balance")
    amounts: dict[str, Decimal] = {}
    skipped: list[str] = []
    for code, raw in rows.items():
        try:
            asset = normalize(str(code))
            amounts[asset] = amounts.get(asset, Decimal(0)) + to_decimal(raw, field=asset)
        except _ROW_ERRORS:
            skipped.append(str(code))
    if skipped:
        logger.warning("skipped %d malformed Balance entries: %s", len(skipped), skipped)
    return AccountBalances(amounts=amounts)


# --- rows ------------------------------------------------------------------------------------


def _trade(
    txid: str, row: Mapping[str, Any], pairs: Mapping[str, tuple[str, str]] | None
) -> TradeFill:
    base, quote = split_pair(str(row["pair"]), pairs)
    ledgers = row.get("ledgers") or ()
    return TradeFill(
        trade_id=txid,
        order_txid=_text_or_none(row.get("ordertxid")),
        pair=canonical_pair(base, quote),
        base=base,
        quote=quote,
        side=_side(row["type"]),
        price=non_negative(row["price"], field="price"),
        volume=non_negative(row["vol"], field="vol"),
        cost=non_negative(row["cost"], field="cost"),
        fee=non_negative(row.get("fee", "0"), field="fee"),
        time=epoch_to_utc(row["time"]),
        ledger_ids=tuple(str(item) for item in ledgers),
    )


def _entry(ledger_id: str, row: Mapping[str, Any]) -> LedgerEntry:
    balance = row.get("balance")
    type_, subtype = str(row["type"]).lower(), str(row.get("subtype") or "")
    return LedgerEntry(
        ledger_id=ledger_id,
        refid=str(row.get("refid") or ""),
        time=epoch_to_utc(row["time"]),
        type=type_,
        subtype=subtype,
        asset=normalize(str(row["asset"])),
        amount=to_decimal(row["amount"], field="amount"),
        fee=to_decimal(row.get("fee", "0"), field="fee"),
        balance=None if balance in (None, "") else to_decimal(balance, field="balance"),
        kind=ledger_kind(type_, subtype),
    )


def _order(
    txid: str, row: Mapping[str, Any], pairs: Mapping[str, tuple[str, str]] | None
) -> ExchangeOrder:
    descr = row.get("descr") or {}
    base, quote = split_pair(str(descr["pair"]), pairs)
    filled = non_negative(row.get("vol_exec", "0"), field="vol_exec")
    order_type = str(descr.get("ordertype") or "")
    return ExchangeOrder(
        txid=txid,
        pair=canonical_pair(base, quote),
        side=_side(descr["type"]),
        status=str(row.get("status") or ""),
        userref=_userref(row.get("userref")),
        cl_ord_id=_text_or_none(row.get("cl_ord_id")),
        opened_at=_time_or_none(row.get("opentm")),
        closed_at=_time_or_none(row.get("closetm")),
        order_type=order_type,
        volume=non_negative(row["vol"], field="vol"),
        filled_volume=filled,
        cost=non_negative(row.get("cost", "0"), field="cost"),
        fee=non_negative(row.get("fee", "0"), field="fee"),
        # The row's ``price`` is the average fill price; ``descr.price`` the limit.
        average_price=non_negative(row["price"], field="price") if filled else None,
        limit_price=(
            non_negative(descr["price"], field="descr.price") if order_type == "limit" else None
        ),
        reason=_text_or_none(row.get("reason")),
    )


# --- helpers ---------------------------------------------------------------------------------


def _page(
    kind: str,
    rows: Mapping[str, Any],
    body: Mapping[str, Any],
    parse: Callable[[str, Any], T],
    time_fields: tuple[str, ...],
) -> Page[T]:
    items: list[T] = []
    skipped_times: list[datetime | None] = []
    first_error: str | None = None
    for key, raw in rows.items():
        try:
            items.append(parse(str(key), raw))
        except _ROW_ERRORS as exc:
            first_error = first_error or f"{key}: {type(exc).__name__}: {exc}"[:200]
            skipped_times.append(_row_time(raw, time_fields))
    skipped = len(rows) - len(items)
    if skipped:
        logger.warning(
            "skipped %d malformed %s row(s) (first: %s)",
            skipped,
            kind,
            first_error,
            extra={"kind": kind, "skipped": skipped},
        )
    count = body.get("count", len(rows))
    return Page(
        items=tuple(items), count=int(count), skipped=skipped, skipped_times=tuple(skipped_times)
    )


def _row_time(raw: Any, fields: tuple[str, ...]) -> datetime | None:
    """The time of a row that did not parse, when at least that can be read."""
    for name in fields:
        try:
            return _time_or_none(raw[name])
        except (*_ROW_ERRORS, OverflowError):
            continue
    return None


def _mapping(value: object, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise TypeError(f"{what} is not an object: {type(value).__name__}")
    return value


def _side(value: Any) -> Side:
    if value == "buy":
        return "buy"
    if value == "sell":
        return "sell"
    raise ValueError(f"side {value!r}")


def _userref(value: Any) -> int | None:
    # Kraken reports an untagged order as userref 0 (or null): 0 means "no tag".
    if value in (None, "", 0, "0"):
        return None
    return int(value)


def _text_or_none(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def _time_or_none(value: Any) -> datetime | None:
    if value in (None, "", 0, "0"):
        return None
    return epoch_to_utc(value)
