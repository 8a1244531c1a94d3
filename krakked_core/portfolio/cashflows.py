"""Ledger entries that are not trades → cash flows: they move equity, never trading PnL."""

from collections.abc import Callable, Iterable
from datetime import datetime
from decimal import Decimal

from krakked_core.model.account import LedgerEntry
from krakked_core.portfolio.models import CashFlowRecord, CashFlowType

# Kraken's ledger ``type`` → our cash-flow type. ``trade`` rows belong to trades (TradesHistory);
# margin and rollover never happen on a spot-only account and are kept as "other" if they do.
_TYPES: dict[str, CashFlowType] = {
    "deposit": "deposit",
    "withdrawal": "withdrawal",
    "staking": "reward",
    "reward": "reward",
    "credit": "reward",
    "earn": "reward",
    "dividend": "reward",
    "transfer": "transfer",
    "adjustment": "adjustment",
    "spend": "conversion",
    "receive": "conversion",
    "sale": "conversion",
}
TRADE_TYPES = frozenset({"trade"})
# Kraken Earn rows: only ``reward`` is income; the rest move units between spot and its variants.
_EARN_MOVES = frozenset({"allocation", "deallocation", "autoallocation", "migration"})

# Price an inflow in USD at its time: (asset, amount, time) → value, or None when not known.
Valuer = Callable[[str, Decimal, datetime], Decimal | None]


def is_cash_flow(entry: LedgerEntry) -> bool:
    return entry.type not in TRADE_TYPES


def cash_flow_type(entry: LedgerEntry) -> CashFlowType:
    if entry.type in ("earn", "staking") and entry.subtype in _EARN_MOVES:
        return "transfer"
    return _TYPES.get(entry.type, "other")


def to_cash_flows(entries: Iterable[LedgerEntry], value: Valuer) -> list[CashFlowRecord]:
    """Build the cash-flow records of the non-trade entries; inflows valued at their time."""
    records = []
    for entry in entries:
        if not is_cash_flow(entry):
            continue
        net = entry.amount - entry.fee
        records.append(
            CashFlowRecord(
                id=entry.ledger_id,
                time=entry.time,
                asset=entry.asset,
                amount=entry.amount,
                fee=entry.fee,
                type=cash_flow_type(entry),
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
