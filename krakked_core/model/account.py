"""What the exchange says about the account, as domain values (no Kraken field names here).

Parsers in ``connection/parsers/`` (``account.py``, ``trading.py``) build these from Kraken's
replies; the portfolio and the OMS consume them. Asset codes are already normalized (``XXBT`` →
``XBT``; suffixes such as ``.F`` are kept: ``XBT.F``); pairs are canonical (``XBTUSD``).
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Generic, Literal, TypeVar

Side = Literal["buy", "sell"]
# How a ledger row moves equity without being a trade (contract Phase 3 §6).
CashFlowType = Literal[
    "deposit", "withdrawal", "reward", "transfer", "adjustment", "conversion", "other"
]
# What a ledger row is: one leg of a trade, or a cash flow of one of those types.
LedgerKind = Literal[
    "trade", "deposit", "withdrawal", "reward", "transfer", "adjustment", "conversion", "other"
]
T = TypeVar("T")


@dataclass(frozen=True)
class TradeFill:
    """One execution from ``TradesHistory``: ``cost`` is in quote, ``fee`` as Kraken reports it."""

    trade_id: str
    order_txid: str | None
    pair: str  # canonical, "XBTUSD"
    base: str  # normalized, "XBT"
    quote: str  # normalized, "USD"
    side: Side
    price: Decimal
    volume: Decimal
    cost: Decimal
    fee: Decimal  # in quote (TradesHistory's convention); the ledger says when it was not
    time: datetime
    ledger_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class LedgerEntry:
    """One row of the account's ledger: ``amount`` is signed, ``fee`` is charged on top of it.

    ``kind`` is what the row is; ``type`` and ``subtype`` are the exchange's own words for it
    (``staking`` / ``allocation``), kept for the record.
    """

    ledger_id: str
    refid: str
    time: datetime
    type: str
    subtype: str
    asset: str  # normalized, suffix kept ("DOT.S")
    amount: Decimal
    fee: Decimal
    balance: Decimal | None = None
    kind: LedgerKind = field(kw_only=True)


@dataclass(frozen=True)
class ExchangeOrder:
    """An order as the exchange reports it: how it was tagged (the portfolio) and how far it
    got (the OMS). ``status``: pending, open, closed, canceled or expired."""

    txid: str
    pair: str
    side: Side
    status: str
    userref: int | None
    cl_ord_id: str | None
    opened_at: datetime | None
    closed_at: datetime | None
    order_type: str = ""  # market, limit, stop-loss, …
    volume: Decimal = Decimal(0)
    filled_volume: Decimal = Decimal(0)
    cost: Decimal = Decimal(0)  # quote spent or received so far
    fee: Decimal = Decimal(0)
    average_price: Decimal | None = None  # None until something filled
    limit_price: Decimal | None = None  # None for a market order
    reason: str | None = None  # why it closed, as the exchange put it


@dataclass(frozen=True)
class OrderAck:
    """The exchange took an order: its ids (none for a validate-only check) and its summary."""

    txids: tuple[str, ...]
    description: str


@dataclass(frozen=True)
class CancelAck:
    """How many orders a cancel took out; ``pending``: the cancel is still under way."""

    count: int
    pending: bool = False


@dataclass(frozen=True)
class DeadMansSwitch:
    """The exchange's cancel-all timer: when it fires (None: disarmed), as of ``server_time``."""

    server_time: datetime
    trigger_time: datetime | None


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a paged history endpoint; ``count`` is the total the query matches."""

    items: tuple[T, ...]
    count: int
    skipped: int = 0  # malformed rows logged and left out
    # When each left-out row happened (None: not even its time could be read). The sync keeps
    # its high-water mark before them so they are read again, never passed over for good.
    skipped_times: tuple[datetime | None, ...] = ()


@dataclass(frozen=True)
class AccountBalances:
    """Totals per normalized asset code, suffix variants separate (``XBT`` and ``XBT.F``)."""

    amounts: Mapping[str, Decimal] = field(default_factory=dict)
