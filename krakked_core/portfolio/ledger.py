"""Weighted-average-cost books in USD, per asset: pure, exact, replayable.

Every movement is one of two things. An *acquisition* of ``q`` units worth ``v`` USD adds ``q``
units and ``v`` of cost. A *disposal* of ``q`` units worth ``v`` USD removes their share of the
cost (the basis) and realizes ``v − basis``. A trade disposes of one leg and acquires the other
at the same USD value; a fee disposes of the fee units and charges their USD value; a cash flow
acquires at market value or disposes at basis (so it moves equity, never trading PnL). The base
currency (USD) is cash. Hence, exactly: cash + Σ cost moves by realized PnL + net cash flows, and
equity = cash + Σ cost + unrealized.

Units the books cannot explain never make PnL: a disposal larger than the units held consumes
what is held and records the rest under ``unexplained`` (the drift flag names the asset).
"""

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, localcontext
from typing import Any

from krakked_core.model.precision import ACCOUNTING_PRECISION, round_basis
from krakked_core.portfolio.assets import root
from krakked_core.portfolio.models import MANUAL, CashFlowRecord, RealizedPnLRecord, TradeEvent

logger = logging.getLogger(__name__)

ZERO = Decimal(0)
Event = TradeEvent | CashFlowRecord
# Replay order: by time; at one instant outflows, then inflows, then trades; then by id. (An
# internal transfer's outgoing leg thus precedes its incoming leg.)
EventKey = tuple[datetime, int, str]


def event_key(event: Event) -> EventKey:
    if isinstance(event, CashFlowRecord):
        return (event.time, 0 if event.net < 0 else 1, event.id)
    return (event.time, 2, event.trade_id)


@dataclass
class AssetBook:
    """One asset's units and cost. ``unbased`` units arrived with no known USD value."""

    qty: Decimal = ZERO
    cost: Decimal = ZERO
    unbased: Decimal = ZERO
    opened_at: datetime | None = None

    @property
    def based(self) -> Decimal:
        return self.qty - self.unbased

    @property
    def avg_cost(self) -> Decimal | None:
        return self.cost / self.based if self.based > 0 else None


@dataclass(frozen=True)
class Disposal:
    gain: Decimal  # realized: value of the based units − their basis
    basis: Decimal  # cost that left the books
    based_units: Decimal  # units that had a basis
    unexplained: Decimal  # units beyond what the books hold


@dataclass
class Ledger:
    """The books. Apply events in ``event_key`` order; the same events give the same books."""

    base_currency: str = "USD"
    books: dict[str, AssetBook] = field(default_factory=dict)
    cash: Decimal = ZERO
    balances: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    realized_total: Decimal = ZERO
    realized_by_pair: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    fees_usd_by_pair: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    fees_by_asset: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    unvalued_fee_trades: int = 0
    net_cash_flow_usd: Decimal = ZERO
    unexplained: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    # Outgoing legs of transfers, by "refid|asset": (units, basis) the incoming leg takes over.
    in_transit: dict[str, tuple[Decimal, Decimal]] = field(default_factory=dict)
    last_key: EventKey | None = None
    applied: int = 0  # events applied so far (the service checks it against the store)

    # --- events -------------------------------------------------------------------------

    def apply(self, event: Event) -> RealizedPnLRecord | None:
        """Apply one event; a trade returns its realized-PnL record."""
        with localcontext(prec=ACCOUNTING_PRECISION):
            key = event_key(event)
            if self.last_key is not None and key < self.last_key:
                raise ValueError(f"event {key[2]} is older than the books ({self.last_key[2]})")
            self.last_key = key
            self.applied += 1
            if isinstance(event, CashFlowRecord):
                self._apply_cash_flow(event)
                return None
            return self._apply_trade(event)

    def apply_all(self, events: Iterable[Event]) -> list[RealizedPnLRecord]:
        records = []
        for event in sorted(events, key=event_key):
            record = self.apply(event)
            if record is not None:
                records.append(record)
        return records

    def _apply_trade(self, t: TradeEvent) -> RealizedPnLRecord:
        value = t.cost * t.quote_usd if t.quote_usd is not None else None
        give, get = (t.quote, t.base) if t.side == "buy" else (t.base, t.quote)
        give_qty, get_qty = (t.cost, t.volume) if t.side == "buy" else (t.volume, t.cost)
        out = self._dispose(give, give_qty, value, t.time)
        if value is None and out.unexplained == 0 and out.based_units == give_qty:
            # No USD price for the quote: the new units inherit the old units' basis.
            self._acquire(get, get_qty, out.basis, t.time)
        else:
            self._acquire(get, get_qty, value, t.time)
        pnl = out.gain - self._pay_fee(t)
        self.realized_total += pnl
        self.realized_by_pair[t.pair] += pnl
        base_delta = t.volume if t.side == "buy" else -t.volume
        quote_delta = -t.cost if t.side == "buy" else t.cost
        base_delta -= t.fee if t.fee_asset == t.base else ZERO
        quote_delta -= t.fee if t.fee_asset == t.quote else ZERO
        return RealizedPnLRecord(
            trade_id=t.trade_id,
            order_id=t.order_txid,
            pair=t.pair,
            time=t.time,
            side=t.side,
            base_delta=base_delta,
            quote_delta=quote_delta,
            fee_asset=t.fee_asset,
            fee_amount=t.fee,
            fee_usd=t.fee_usd,
            pnl_quote=pnl,
            price=t.price,
            strategy_tag=MANUAL,
        )

    def _pay_fee(self, t: TradeEvent) -> Decimal:
        """Dispose of the fee units; return the fee's USD cost net of any gain on those units."""
        if t.fee == 0:
            return ZERO
        self.fees_by_asset[t.fee_asset] += t.fee
        out = self._dispose(root(t.fee_asset), t.fee, t.fee_usd, t.time)
        if t.fee_usd is None:
            self.unvalued_fee_trades += 1
            charged = out.basis  # what the books knew those units cost
        else:
            charged = t.fee_usd
        self.fees_usd_by_pair[t.pair] += charged
        return charged - out.gain

    def _apply_cash_flow(self, cf: CashFlowRecord) -> None:
        asset = root(cf.asset)
        net = cf.net
        transit_key = f"{cf.refid}|{asset}" if cf.type == "transfer" and cf.refid else None
        if net > 0:
            value = net if asset == self.base_currency else cf.value_usd
            carried = self.in_transit.pop(transit_key, None) if transit_key else None
            if carried is not None and carried[0] == net:
                # The other leg of a move between variants (spot ↔ staking): keep the basis.
                value = carried[1]
            self._acquire(asset, net, value, cf.time)
            self.net_cash_flow_usd += value if value is not None else ZERO
        elif net < 0:
            out = self._dispose(asset, -net, None, cf.time)
            self.net_cash_flow_usd -= out.basis
            if transit_key and out.unexplained == 0 and out.based_units == -net:
                self.in_transit[transit_key] = (-net, out.basis)

    # --- primitives ---------------------------------------------------------------------

    def _acquire(self, asset: str, qty: Decimal, value: Decimal | None, at: datetime) -> None:
        self.balances[asset] += qty
        if asset == self.base_currency:
            self.cash += qty
            return
        book = self.books.setdefault(asset, AssetBook())
        if book.qty == 0:
            book.opened_at = at
        book.qty += qty
        if value is None:
            book.unbased += qty
        else:
            book.cost += value

    def _dispose(self, asset: str, qty: Decimal, value: Decimal | None, at: datetime) -> Disposal:
        self.balances[asset] -= qty
        if asset == self.base_currency:
            self.cash -= qty
            return Disposal(gain=ZERO, basis=qty, based_units=qty, unexplained=ZERO)
        book = self.books.setdefault(asset, AssetBook())
        based = min(qty, book.based)
        basis = book.cost if based == book.based else round_basis(book.cost * based / book.based)
        from_unbased = min(qty - based, book.unbased)
        unexplained = qty - based - from_unbased
        book.cost -= basis
        book.unbased -= from_unbased
        book.qty -= based + from_unbased
        if book.qty == 0:
            book.opened_at = None
        if unexplained > 0:
            self.unexplained[asset] += unexplained
            logger.warning(
                "disposal of %s %s exceeds what the books explain by %s: no PnL on those units",
                qty,
                asset,
                unexplained,
                extra={"asset": asset, "unexplained": str(unexplained), "at": at.isoformat()},
            )
        gain = ZERO
        if value is not None and based > 0:
            share = value if based == qty else round_basis(value * based / qty)
            gain = share - basis
        return Disposal(gain=gain, basis=basis, based_units=based, unexplained=unexplained)

    # --- persistence (contract §7 save_state / load_state) ------------------------------

    def to_state(self) -> dict[str, Any]:
        return {
            "base_currency": self.base_currency,
            "books": {
                asset: {
                    "qty": str(b.qty),
                    "cost": str(b.cost),
                    "unbased": str(b.unbased),
                    "opened_at": b.opened_at.isoformat() if b.opened_at else None,
                }
                for asset, b in self.books.items()
            },
            "cash": str(self.cash),
            "balances": _strs(self.balances),
            "realized_total": str(self.realized_total),
            "realized_by_pair": _strs(self.realized_by_pair),
            "fees_usd_by_pair": _strs(self.fees_usd_by_pair),
            "fees_by_asset": _strs(self.fees_by_asset),
            "unvalued_fee_trades": self.unvalued_fee_trades,
            "net_cash_flow_usd": str(self.net_cash_flow_usd),
            "unexplained": _strs(self.unexplained),
            "in_transit": {k: [str(q), str(b)] for k, (q, b) in self.in_transit.items()},
            "applied": self.applied,
            "last_key": [self.last_key[0].isoformat(), self.last_key[1], self.last_key[2]]
            if self.last_key
            else None,
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> "Ledger":
        ledger = cls(base_currency=state["base_currency"])
        for asset, b in state["books"].items():
            ledger.books[asset] = AssetBook(
                qty=Decimal(b["qty"]),
                cost=Decimal(b["cost"]),
                unbased=Decimal(b["unbased"]),
                opened_at=datetime.fromisoformat(b["opened_at"]) if b["opened_at"] else None,
            )
        ledger.cash = Decimal(state["cash"])
        ledger.balances.update(_decs(state["balances"]))
        ledger.realized_total = Decimal(state["realized_total"])
        ledger.realized_by_pair.update(_decs(state["realized_by_pair"]))
        ledger.fees_usd_by_pair.update(_decs(state["fees_usd_by_pair"]))
        ledger.fees_by_asset.update(_decs(state["fees_by_asset"]))
        ledger.unvalued_fee_trades = int(state["unvalued_fee_trades"])
        ledger.net_cash_flow_usd = Decimal(state["net_cash_flow_usd"])
        ledger.unexplained.update(_decs(state["unexplained"]))
        ledger.in_transit = {
            k: (Decimal(q), Decimal(b)) for k, (q, b) in state.get("in_transit", {}).items()
        }
        ledger.applied = int(state.get("applied", 0))
        key = state["last_key"]
        ledger.last_key = (datetime.fromisoformat(key[0]), int(key[1]), key[2]) if key else None
        return ledger


def _strs(values: dict[str, Decimal]) -> dict[str, str]:
    return {key: str(value) for key, value in sorted(values.items())}


def _decs(values: dict[str, str]) -> dict[str, Decimal]:
    return {key: Decimal(value) for key, value in values.items()}
