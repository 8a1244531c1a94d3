"""Kraken's ledger ``type`` (and Earn ``subtype``) → what the row is, in the domain's words."""

from krakked_core.model.account import LedgerKind

# ``trade`` rows are trade legs (their trades come from TradesHistory); margin and rollover
# never happen on a spot-only account and are kept as "other" if they do.
_KINDS: dict[str, LedgerKind] = {
    "trade": "trade",
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
# Kraken Earn rows: only ``reward`` is income; the rest move units between spot and its variants.
_EARN_MOVES = frozenset({"allocation", "deallocation", "autoallocation", "migration"})


def ledger_kind(type_: str, subtype: str) -> LedgerKind:
    """The kind of a ledger row of Kraken ``type`` / ``subtype`` (both lower case)."""
    if type_ in ("earn", "staking") and subtype in _EARN_MOVES:
        return "transfer"
    return _KINDS.get(type_, "other")
