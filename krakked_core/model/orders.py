"""The OMS's values: an order Krakked owns (`LocalOrder`), its life, and each plan's result.

These cross from the OMS to the API, the panel, the CLI and the sidecar (which applies the
exchange's execution updates to stored orders), so they live in `model/` with no I/O. Sizes and
prices are Decimals (contract Phase 5 §4, money as Decimal); times are aware UTC datetimes.

An order is born ``pending`` and is committed to the DB before anything is sent, so a crash at
any point leaves a record to reconcile: that record and its ``cl_ord_id`` are what make a
duplicate impossible (FACTS.md: ``cl_ord_id`` is unique among *open* orders only, so a blind
resend of an order that already filled would be a second order).
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal

from krakked_core.model.account import Side

OrderType = Literal["market", "limit"]
ExecutionMode = Literal["live", "paper", "dry_run"]

# Who asked for an order that no strategy did: `krakked order place`, the panel, a flatten.
MANUAL_STRATEGY = "manual"


class OrderStatus(StrEnum):
    """A LocalOrder's state (contract Phase 5 §4.1, plus ``submit_unknown`` and ``expired``).

    pending → submitted → open → partially_filled → filled | canceled | expired; a definite
    refusal is ``rejected``; an order that failed a local check (never sent) or exhausted its
    retries is ``error``. ``submit_unknown``: AddOrder got no clean reply, so the order may or
    may not exist at the exchange; it is looked up by ``cl_ord_id`` until known, and until then
    it blocks new opening orders on its pair.
    """

    PENDING = "pending"
    SUBMITTED = "submitted"
    SUBMIT_UNKNOWN = "submit_unknown"
    OPEN = "open"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELED = "canceled"
    EXPIRED = "expired"
    REJECTED = "rejected"
    ERROR = "error"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_STATUSES

    @property
    def is_live(self) -> bool:
        """Could still trade at the exchange (or might exist there): not yet terminal."""
        return self not in TERMINAL_STATUSES


TERMINAL_STATUSES: frozenset[OrderStatus] = frozenset(
    {
        OrderStatus.FILLED,
        OrderStatus.CANCELED,
        OrderStatus.EXPIRED,
        OrderStatus.REJECTED,
        OrderStatus.ERROR,
    }
)
# Resting at the exchange, so a cancel applies.
OPEN_STATUSES: frozenset[OrderStatus] = frozenset(
    {OrderStatus.SUBMITTED, OrderStatus.OPEN, OrderStatus.PARTIALLY_FILLED}
)


@dataclass(frozen=True, slots=True)
class OrderSubmission:
    """What an ExecutionGateway is asked to place: already routed, rounded and checked.

    ``pair`` is canonical; ``volume`` and ``price`` are already on the pair's lot and tick.
    ``deadline``: the exchange must refuse the order if its engine has not taken it by then
    (≤ 60 s ahead), which is what lets an unknown outcome be resolved as "not placed" once the
    deadline has passed with no order found under ``cl_ord_id``.
    """

    cl_ord_id: str
    pair: str
    side: Side
    order_type: OrderType
    volume: Decimal
    price: Decimal | None
    deadline: datetime
    time_in_force: Literal["GTC", "IOC"] = "GTC"
    post_only: bool = False
    validate_only: bool = False


@dataclass(frozen=True, slots=True)
class LocalOrder:
    """One order Krakked owns, as stored (the ``execution_orders`` row)."""

    local_id: str
    cl_ord_id: str  # sent to the exchange; unique per LocalOrder, never reused
    plan_id: str | None
    strategy_id: str  # the strategy, an aggregate "a+b", or MANUAL_STRATEGY
    pair: str
    side: Side
    order_type: OrderType
    requested_volume: Decimal
    requested_price: Decimal | None
    status: OrderStatus
    mode: ExecutionMode
    created_at: datetime
    updated_at: datetime
    deadline: datetime | None = None
    kraken_order_id: str | None = None
    filled_volume: Decimal = Decimal(0)
    avg_fill_price: Decimal | None = None
    fee: Decimal = Decimal(0)
    last_error: str | None = None
    attempts: int = 0
    raw_request: Mapping[str, Any] = field(default_factory=dict)
    raw_response: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class OrderEvent:
    """One stored transition of a LocalOrder: from what, to what, why, when."""

    local_id: str
    at: datetime
    from_status: OrderStatus | None
    to_status: OrderStatus
    detail: str = ""


@dataclass(frozen=True, slots=True)
class ExecutionFill:
    """One fill of an order, deduplicated on ``exec_id`` (the WS executions channel's key)."""

    exec_id: str
    kraken_order_id: str
    cl_ord_id: str | None
    pair: str
    side: Side
    volume: Decimal
    price: Decimal
    cost: Decimal
    fee: Decimal
    at: datetime


@dataclass(frozen=True, slots=True)
class OrderUpdate:
    """The exchange's latest word on one order (WS ``executions`` or a REST lookup).

    ``status`` is already the LocalOrder vocabulary; ``final`` is true only when the exchange
    said the order is done (``exec_type: filled``/``canceled``/``expired``, or a closed REST
    order), never inferred from ``filled_volume`` reaching the order's size.
    """

    kraken_order_id: str
    cl_ord_id: str | None
    status: OrderStatus
    filled_volume: Decimal
    avg_fill_price: Decimal | None
    fee: Decimal
    at: datetime
    final: bool = False
    reason: str | None = None
    fills: tuple[ExecutionFill, ...] = ()


@dataclass(frozen=True, slots=True)
class ExecutionResult:
    """What one plan (or manual order, or flatten) became (contract Phase 5 §4.2)."""

    plan_id: str
    mode: ExecutionMode
    started_at: datetime
    completed_at: datetime | None
    success: bool
    orders: tuple[LocalOrder, ...] = ()
    errors: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()  # actions that needed no order, and why (plain words)
