"""The caps a cycle's additions share (contract Phase 4 §5.1): open positions, per asset, per
strategy, portfolio risk.

Budgets start from what is held and are consumed by each approved addition in the engine's
order, so two pairs of one cycle cannot both spend the same room. Per-asset and portfolio-risk
caps always count every position (manual ones too: the hard caps of §5.5); the open-positions
count includes manual positions only with ``include_manual_positions``.
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from krakked_core.config import RiskConfig
from krakked_core.model.decisions import BlockReason
from krakked_core.model.precision import decimal_text, floor_internal
from krakked_core.risk.context import RiskContext
from krakked_core.risk.exposure import (
    PerUnitRisk,
    open_pairs,
    portfolio_risk,
    value_by_asset,
    value_by_owner,
)
from krakked_core.risk.gates import Finding


@dataclass(frozen=True, slots=True)
class Addition:
    """A strategy's wish to add ``increment`` base units of ``pair``."""

    strategy_id: str
    pair: str
    base_asset: str
    increment: Decimal
    price: Decimal
    unit_risk: Decimal  # USD at risk per base unit (never above the price)
    strategy_max_positions: int


def _pct(value: float) -> Decimal:
    return Decimal(str(value))


class Budgets:
    """Room left under each cap, shrinking as additions are approved."""

    def __init__(self, risk: RiskConfig, ctx: RiskContext, per_unit_risk: PerUnitRisk) -> None:
        self._risk = risk
        self._equity = ctx.equity_usd
        self._asset_value = defaultdict(Decimal, value_by_asset(ctx))
        self._owner_value = defaultdict(Decimal, value_by_owner(ctx))
        self._total_risk = portfolio_risk(ctx, per_unit_risk)
        self._open = open_pairs(ctx, risk.include_manual_positions)
        self._owned_pairs: dict[str, set[str]] = defaultdict(set)
        for position in ctx.positions:
            if position.base_size > 0:
                self._owned_pairs[position.strategy_id].add(position.pair)

    def approve(self, add: Addition) -> tuple[Decimal, list[Finding]]:
        """Return how much of ``add`` fits (possibly 0) and the caps that cut it."""
        refused = self._position_count(add)
        if refused is not None:
            return Decimal(0), [refused]
        approved = add.increment
        findings: list[Finding] = []
        for code, room, text in self._rooms(add):
            if room < approved:
                approved = max(Decimal(0), floor_internal(room))
                findings.append((code, text))
        return approved, findings

    def commit(self, add: Addition, approved: Decimal) -> None:
        """Spend the room an approved addition takes."""
        if approved <= 0:
            return
        self._asset_value[add.base_asset] += approved * add.price
        self._owner_value[add.strategy_id] += approved * add.price
        self._total_risk += approved * add.unit_risk
        self._open.add(add.pair)
        self._owned_pairs[add.strategy_id].add(add.pair)

    def _position_count(self, add: Addition) -> Finding | None:
        limit = self._risk.max_open_positions
        if add.pair not in self._open and len(self._open) >= limit:
            return (BlockReason.MAX_OPEN_POSITIONS, f"{limit} positions open, the maximum")
        owned = self._owned_pairs[add.strategy_id]
        if add.pair not in owned and len(owned) >= add.strategy_max_positions:
            return (
                BlockReason.MAX_OPEN_POSITIONS,
                f"{add.strategy_id} holds {len(owned)} pairs, its max_positions",
            )
        return None

    def _rooms(self, add: Addition) -> list[tuple[BlockReason, Decimal, str]]:
        """Return (cap, base units that still fit, sentence) for each cap that applies."""
        asset_pct = _pct(self._risk.max_per_asset_pct)
        asset_room = self._equity * asset_pct / 100 - self._asset_value[add.base_asset]
        rooms = [
            (
                BlockReason.MAX_PER_ASSET,
                asset_room / add.price,
                f"{add.base_asset} capped at {decimal_text(asset_pct)}% of equity",
            )
        ]
        strategy_pct = self._risk.max_per_strategy_pct.get(add.strategy_id)
        if strategy_pct is not None:
            cap = _pct(strategy_pct)
            room = self._equity * cap / 100 - self._owner_value[add.strategy_id]
            text = f"{add.strategy_id} capped at {decimal_text(cap)}% of equity"
            rooms.append((BlockReason.MAX_PER_STRATEGY, room / add.price, text))
        risk_pct = _pct(self._risk.max_portfolio_risk_pct)
        risk_room = self._equity * risk_pct / 100 - self._total_risk
        text = f"portfolio risk capped at {decimal_text(risk_pct)}% of equity"
        rooms.append((BlockReason.MAX_PORTFOLIO_RISK, risk_room / add.unit_risk, text))
        return rooms
