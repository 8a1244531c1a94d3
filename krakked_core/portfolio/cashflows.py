"""Ledger entries that are not trades → cash flows: they move equity, never trading PnL."""

from collections.abc import Callable, Iterable
from datetime import datetime
from decimal import Decimal

from krakked_core.model.account import LedgerEntry
from krakked_core.portfolio.models import CashFlowRecord

# Price an inflow in USD at its time: (asset, amount, time) → value, or None when not known.
Valuer = Callable[[str, Decimal, datetime], Decimal | None]


def is_cash_flow(entry: LedgerEntry) -> bool:
    return entry.kind != "trade"


def to_cash_flows(entries: Iterable[LedgerEntry], value: Valuer) -> list[CashFlowRecord]:
    """Build the cash-flow records of the non-trade entries; inflows valued at their time."""
    records = []
    for entry in entries:
        kind = entry.kind
        if kind == "trade":
            continue
        net = entry.amount - entry.fee
        records.append(
            CashFlowRecord(
                id=entry.ledger_id,
                time=entry.time,
                asset=entry.asset,
                amount=entry.amount,
                fee=entry.fee,
                type=kind,
                note=_note(entry),
                value_usd=value(entry.asset, net, entry.time) if net > 0 else None,
                refid=entry.refid or None,
            )
        )
    return records


def _note(entry: LedgerEntry) -> str | None:
    parts = [entry.type]
    if entry.subtype:
        parts.append(entry.subtype)
    return "/".join(parts)
