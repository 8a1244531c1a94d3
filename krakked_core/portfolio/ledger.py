"""Weighted-average-cost books in USD, per asset: pure, exact, replayable.

Every movement is one of two things. An *acquisition* of ``q`` units worth ``v`` USD adds ``q``
units and ``v`` of cost. A *disposal* of ``q`` units worth ``v`` USD removes their share of the
cost (the basis) and realizes ``v − basis``. A trade disposes of one leg and acquires the other
at the same USD value; a fee disposes of the fee units and charges their USD value; a cash flow
acquires at market value or disposes at basis (so it moves equity, never trading PnL). The base
currency (USD) is cash. Hence, exactly: cash + Σ cost moves by realized PnL + net cash flows, and
equity = cash + Σ cost + unrealized.

Units the books cannot explain never make PnL: a disposal larger than the units held consumes
what is held and records the rest under ``unexplained`` (the drift flag names the asset). Units
held with no known cost (``unbased``) that are sold realize nothing either: their proceeds are
kept per asset in ``realized_excluded`` and a warning is logged, so the gap is visible. Hence the
identity in full: cash + Σ cost moves by realized + realized_excluded + net cash flows.

Two cash-flow legs sharing a Kraken ``refid`` are one internal move, whatever their type: an
outflow and an inflow of the same asset (spot ↔ ``.S``/``.F``/``.B``: earn, staking, transfer)
carry the basis across; a ``spend``/``receive`` pair (a conversion) gives the inflow the USD basis
of what was spent. Neither moves net cash flows.
"""

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, localcontext
from functools import cache
from operator import itemgetter
from typing import Any, NamedTuple

from krakked_core.model.precision import ACCOUNTING_PRECISION, round_basis
from krakked_core.portfolio.assets import root as asset_root
from krakked_core.portfolio.models import MANUAL, CashFlowRecord, RealizedPnLRecord, TradeEvent

logger = logging.getLogger(__name__)

ZERO = Decimal(0)
Event = TradeEvent | CashFlowRecord
# Replay order: by time; at one instant outflows, then inflows, then trades; then by id. (An
# internal transfer's outgoing leg thus precedes its incoming leg.)
EventKey = tuple[datetime, int, str]
# A replay asks for the same few assets' roots hundreds of thousands of times.
root = cache(asset_root)
_key_of = itemgetter(0)


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


class Disposal(NamedTuple):  # a tuple: one is built per disposal, hot in a replay
    gain: Decimal  # realized: value of the based units − their basis
    basis: Decimal  # cost that left the books
    based_units: Decimal  # units that had a basis
    unexplained: Decimal  # units beyond what the books hold
    unbased_units: Decimal = ZERO  # units held with no known cost


STATE_VERSION = 3  # 3: realized_by_asset credits the asset disposed of


def trade_deltas(t: TradeEvent) -> tuple[Decimal, Decimal]:
    """What a trade did to the base and quote balances, fees included."""
    base_delta = t.volume if t.side == "buy" else -t.volume
    quote_delta = -t.cost if t.side == "buy" else t.cost
    base_delta -= t.fee if t.fee_asset == t.base else ZERO
    quote_delta -= t.fee if t.fee_asset == t.quote else ZERO
    return base_delta, quote_delta


def trade_record(t: TradeEvent, pnl: Decimal, tag: str = MANUAL) -> RealizedPnLRecord:
    """Contract §3.3 record of one applied trade."""
    base_delta, quote_delta = trade_deltas(t)
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
        strategy_tag=tag,
    )


def _transit_key(cf: CashFlowRecord, asset: str) -> str | None:
    """Where the two legs of one internal move meet (None: not pairable)."""
    if not cf.refid:
        return None
    return f"{cf.refid}|*" if cf.type == "conversion" else f"{cf.refid}|{asset}"


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
    # A position's own PnL, per asset: a trade's gain under the asset it disposed of (the base on
    # a sell, the quote on a buy), its fees under the traded base asset.
    realized_by_asset: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    fees_usd_by_asset: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    # Proceeds of units sold with no known cost, per asset: outside realized PnL, but not hidden.
    realized_excluded: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    unvalued_fee_trades: int = 0
    net_cash_flow_usd: Decimal = ZERO
    unexplained: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    # Outgoing legs of internal moves, by "refid|asset" ("refid|*" for conversions): (units,
    # basis) the incoming leg takes over.
    in_transit: dict[str, tuple[Decimal, Decimal]] = field(default_factory=dict)
    last_key: EventKey | None = None
    applied: int = 0  # events applied so far (the service checks it against the store)

    # --- events -------------------------------------------------------------------------

    def apply(self, event: Event) -> RealizedPnLRecord | None:
        """Apply one event; a trade returns its realized-PnL record."""
        applied = self._apply_in_order([event])
        return trade_record(*applied[0]) if applied else None

    def apply_all(self, events: Iterable[Event]) -> list[RealizedPnLRecord]:
        """Apply events in ``event_key`` order; return each trade's realized-PnL record."""
        return [trade_record(t, pnl) for t, pnl in self._apply_in_order(events)]

    def replay(self, events: Iterable[Event]) -> dict[str, Decimal]:
        """Apply events in ``event_key`` order; return each trade's realized PnL by trade id.

        What a full replay needs, without building a record per trade.
        """
        return {t.trade_id: pnl for t, pnl in self._apply_in_order(events)}

    def _apply_in_order(self, events: Iterable[Event]) -> list[tuple[TradeEvent, Decimal]]:
        keyed = sorted(((event_key(e), e) for e in events), key=_key_of)
        if not keyed:
            return []
        first = keyed[0][0]
        if self.last_key is not None and first < self.last_key:
            raise ValueError(f"event {first[2]} is older than the books ({self.last_key[2]})")
        trades = []
        with localcontext(prec=ACCOUNTING_PRECISION):
            for _key, event in keyed:
                if isinstance(event, CashFlowRecord):
                    self._apply_cash_flow(event)
                else:
                    trades.append((event, self._apply_trade(event)))
        self.last_key = keyed[-1][0]
        self.applied += len(keyed)
        return trades

    def _apply_trade(self, t: TradeEvent) -> Decimal:
        """Apply one trade; return its realized PnL."""
        value = t.cost * t.quote_usd if t.quote_usd is not None else None
        if t.side == "buy":
            give, get, give_qty, get_qty = t.quote, t.base, t.cost, t.volume
        else:
            give, get, give_qty, get_qty = t.base, t.quote, t.volume, t.cost
        out = self._dispose(give, give_qty, value, t.time)
        if value is None:
            # No USD price for the quote: the new units inherit the old units' basis, share for
            # share; what came from unbased or unexplained units has none.
            based_qty = get_qty
            if out.based_units != give_qty:
                based_qty = round_basis(get_qty * out.based_units / give_qty)
            self._acquire(get, based_qty, out.basis, t.time)
            if based_qty < get_qty:
                self._acquire(get, get_qty - based_qty, None, t.time)
        else:
            self._acquire(get, get_qty, value, t.time)
            if out.unbased_units > 0:
                self._exclude_unbased(t, give, give_qty, value, out)
        fee_cost = self._pay_fee(t)
        pnl = out.gain - fee_cost
        self.realized_total += pnl
        self.realized_by_pair[t.pair] += pnl
        # The gain belongs to the asset given up (the quote, on a buy); the fee to the position
        # the trade was about.
        self.realized_by_asset[give] += out.gain
        self.realized_by_asset[t.base] -= fee_cost
        return pnl

    def _exclude_unbased(
        self, t: TradeEvent, asset: str, qty: Decimal, value: Decimal, out: Disposal
    ) -> None:
        """Proceeds of units with no cost basis: no PnL, but counted and said out loud."""
        share = value if out.unbased_units == qty else round_basis(value * out.unbased_units / qty)
        self.realized_excluded[asset] += share
        logger.warning(
            "trade %s sold %s %s with no known cost: %s USD of proceeds are not realized PnL",
            t.trade_id,
            out.unbased_units,
            asset,
            share,
            extra={"asset": asset, "unbased": str(out.unbased_units), "proceeds": str(share)},
        )

    def _pay_fee(self, t: TradeEvent) -> Decimal:
        """Dispose of the fee units; return what they cost realized PnL (their known basis)."""
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
        self.fees_usd_by_asset[t.base] += charged
        # = charged − gain when every fee unit had a cost; units with none cost the books nothing
        # (their value leaves equity, not the cost), so only the known cost is realized.
        return out.basis

    def _apply_cash_flow(self, cf: CashFlowRecord) -> None:
        asset = root(cf.asset)
        if cf.net > 0:
            self._cash_inflow(cf, asset, cf.net)
        elif cf.net < 0:
            self._cash_outflow(cf, asset, -cf.net)

    def _cash_inflow(self, cf: CashFlowRecord, asset: str, qty: Decimal) -> None:
        value = qty if asset == self.base_currency else cf.value_usd
        key = _transit_key(cf, asset)
        carried = self.in_transit.pop(key, None) if key else None
        if carried is not None and (cf.type == "conversion" or carried[0] == qty):
            # The other leg of an internal move or a conversion: it takes over the basis.
            value = carried[1]
        self._acquire(asset, qty, value, cf.time)
        self.net_cash_flow_usd += value if value is not None else ZERO

    def _cash_outflow(self, cf: CashFlowRecord, asset: str, qty: Decimal) -> None:
        out = self._dispose(asset, qty, None, cf.time)
        self.net_cash_flow_usd -= out.basis
        key = _transit_key(cf, asset)
        if key and out.unexplained == 0 and out.based_units == qty:
            self.in_transit[key] = (qty, out.basis)

    # --- primitives ---------------------------------------------------------------------

    def _acquire(self, asset: str, qty: Decimal, value: Decimal | None, at: datetime) -> None:
        self.balances[asset] += qty
        if asset == self.base_currency:
            self.cash += qty
            return
        book = self._book(asset)
        if book.qty == 0:
            book.opened_at = at
        book.qty += qty
        if value is None:
            book.unbased += qty
        else:
            book.cost += value

    def _book(self, asset: str) -> AssetBook:
        book = self.books.get(asset)  # not setdefault: that builds a book on every call
        if book is None:
            book = self.books[asset] = AssetBook()
        return book

    def _dispose(self, asset: str, qty: Decimal, value: Decimal | None, at: datetime) -> Disposal:
        self.balances[asset] -= qty
        if asset == self.base_currency:
            self.cash -= qty
            return Disposal(ZERO, qty, qty, ZERO)
        book = self._book(asset)
        # ``min`` spelled out (it keeps the first of equals, as here): on the hot path of a
        # replay, the calls cost more than the comparisons.
        held = book.qty - book.unbased  # book.based
        based = held if held < qty else qty
        basis = book.cost if based == held else round_basis(book.cost * based / held)
        rest = qty - based
        from_unbased = book.unbased if book.unbased < rest else rest
        unexplained = rest - from_unbased
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
        return Disposal(gain, basis, based, unexplained, from_unbased)

    # --- persistence (contract §7 save_state / load_state) ------------------------------

    def to_state(self) -> dict[str, Any]:
        return {
            "version": STATE_VERSION,
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
            "realized_by_asset": _strs(self.realized_by_asset),
            "fees_usd_by_asset": _strs(self.fees_usd_by_asset),
            "realized_excluded": _strs(self.realized_excluded),
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
        ledger.realized_by_asset.update(_decs(state.get("realized_by_asset", {})))
        ledger.fees_usd_by_asset.update(_decs(state.get("fees_usd_by_asset", {})))
        ledger.realized_excluded.update(_decs(state.get("realized_excluded", {})))
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
