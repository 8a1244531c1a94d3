"""What the portfolio holds, in the terms the caps speak: value per asset and per owner, risk.

A position's risk is its size × the per-unit risk of its pair (ATR × the owner's
``stop_atr_multiple``; 2.0 for manual positions). A held pair whose ATR is unknown counts its
whole value as risk: with no volatility to go on, the cap must not be fooled into room.
"""

from collections import defaultdict
from collections.abc import Callable, Mapping
from decimal import Decimal

from krakked_core.risk.context import PositionExposure, RiskContext

PerUnitRisk = Callable[[str, str], Decimal | None]  # (pair, strategy id) → USD per base unit


def value_by_asset(ctx: RiskContext) -> dict[str, Decimal]:
    """Return the USD value held per base asset, every position counted."""
    values: dict[str, Decimal] = defaultdict(Decimal)
    for position in ctx.positions:
        values[position.base_asset] += position.value_usd
    return dict(values)


def value_by_owner(ctx: RiskContext) -> dict[str, Decimal]:
    """Return the USD value held per strategy id (``manual`` for untagged positions)."""
    values: dict[str, Decimal] = defaultdict(Decimal)
    for position in ctx.positions:
        values[position.strategy_id] += position.value_usd
    return dict(values)


def position_risk(position: PositionExposure, per_unit_risk: PerUnitRisk) -> Decimal:
    """Return the USD at risk in one position (its value when the ATR is unknown)."""
    unit = per_unit_risk(position.pair, position.strategy_id)
    if unit is None:
        return position.value_usd
    return min(position.base_size * unit, position.value_usd)


def portfolio_risk(ctx: RiskContext, per_unit_risk: PerUnitRisk) -> Decimal:
    """Return the USD at risk across every position."""
    return sum((position_risk(p, per_unit_risk) for p in ctx.positions), Decimal(0))


def percent_of(values: Mapping[str, Decimal], equity: Decimal) -> dict[str, Decimal]:
    """Return each value as a percentage of ``equity`` (0 when equity is not positive)."""
    if equity <= 0:
        return dict.fromkeys(values, Decimal(0))
    return {key: value / equity * 100 for key, value in sorted(values.items())}


def open_pairs(ctx: RiskContext, include_manual: bool) -> set[str]:
    """Return the pairs with a position, manual ones only when they count."""
    return {p.pair for p in ctx.positions if p.base_size > 0 and (include_manual or not p.manual)}
