"""Everything the exchange must not forget, and its file (JSON, Decimals as strings, atomic)."""

import json
import os
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from krakked_core.sim.records import LedgerEntry, Order, TradeRecord, from_json, to_json

STATE_VERSION = 1


@dataclass
class ExchangeState:
    """The account, its orders, trades and ledger, id counters and the matching cursor."""

    created_at: int  # epoch seconds when the exchange was first created
    matched_until_ns: int  # resting orders have been matched against the tape up to here
    counters: dict[str, int] = field(default_factory=dict)
    balances: dict[str, Decimal] = field(default_factory=dict)
    ledger: list[LedgerEntry] = field(default_factory=list)
    orders: dict[str, Order] = field(default_factory=dict)
    trades: dict[str, TradeRecord] = field(default_factory=dict)
    deadman_trigger: Decimal | None = None  # epoch seconds when every open order is cancelled
    # Book depth already taken this minute: "pair|minute|side" → volume taken per level.
    depth_used: dict[str, list[Decimal]] = field(default_factory=dict)
    # Index of ``orders`` that are still open (not saved: rebuilt on load). Holds and matching
    # read only this, so their cost follows the open orders, not every order ever placed.
    open_orders: dict[str, Order] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.open_orders = {txid: o for txid, o in self.orders.items() if o.is_open}

    def add_order(self, order: Order) -> None:
        """Record a new order (indexed as open while it is)."""
        self.orders[order.txid] = order
        self.order_changed(order)

    def order_changed(self, order: Order) -> None:
        """Keep the open-order index right after ``order``'s status may have changed."""
        if order.is_open:
            self.open_orders[order.txid] = order
        else:
            self.open_orders.pop(order.txid, None)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": STATE_VERSION,
            "created_at": self.created_at,
            "matched_until_ns": self.matched_until_ns,
            "counters": dict(self.counters),
            "balances": {asset: str(amount) for asset, amount in self.balances.items()},
            "ledger": [to_json(row) for row in self.ledger],
            "orders": [to_json(order) for order in self.orders.values()],
            "trades": [to_json(trade) for trade in self.trades.values()],
            "deadman_trigger": None if self.deadman_trigger is None else str(self.deadman_trigger),
            "depth_used": {k: [str(v) for v in used] for k, used in self.depth_used.items()},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "ExchangeState":
        if data.get("version") != STATE_VERSION:
            raise ValueError(f"unsupported sandbox state version {data.get('version')!r}")
        trigger = data.get("deadman_trigger")
        orders = [from_json(Order, row) for row in data["orders"]]
        trades = [from_json(TradeRecord, row) for row in data["trades"]]
        return cls(
            created_at=int(data["created_at"]),
            matched_until_ns=int(data["matched_until_ns"]),
            counters={k: int(v) for k, v in data["counters"].items()},
            balances={k: Decimal(v) for k, v in data["balances"].items()},
            ledger=[from_json(LedgerEntry, row) for row in data["ledger"]],
            orders={order.txid: order for order in orders},
            trades={trade.txid: trade for trade in trades},
            deadman_trigger=None if trigger is None else Decimal(trigger),
            depth_used={k: [Decimal(v) for v in used] for k, used in data["depth_used"].items()},
        )


def save_state(state: ExchangeState, path: Path) -> None:
    """Write ``state`` atomically (see ``write_state``)."""
    write_state(state.to_json(), path)


def write_state(data: dict[str, Any], path: Path) -> None:
    """Write a state snapshot atomically: a temp file in the same directory, fsynced, renamed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out, separators=(",", ":"))
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_state(path: Path) -> ExchangeState | None:
    """The saved state, or None when there is no file yet."""
    if not path.exists():
        return None
    with path.open(encoding="utf-8") as src:
        return ExchangeState.from_json(json.load(src))
