"""RiskEngine: intents + RiskContext → RiskAdjustedActions (contract Phase 4 §5).

One cycle, in order:
1. ``conflicts.select_intents``: one intent per (pair, strategy); exits and reductions are
   applied to the units that strategy owns.
2. Additions (enter/increase), in order of confidence (highest first), then pair, then strategy:
   the gates (kill switch, incomplete valuation, stale data, liquidity), ATR sizing capped by
   ``max_risk_per_trade_pct``, then the shared budgets (open positions, per asset, per strategy,
   portfolio risk). An addition worth less than ``deadband_usd`` is dropped.
3. One action per pair, sorted by pair: the owners' targets summed; a net change worth less than
   ``deadband_usd`` becomes ``none``. Every input is sorted first, so the output does not depend
   on the order intents arrive in.
All arithmetic is Decimal at the accounting precision; sizes are rounded down only in
``model.precision``. Spot only: no target is ever below zero.
"""

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, localcontext

from krakked_core.config import AppConfig, RiskConfig, StrategyConfig
from krakked_core.model.decisions import (
    ActionType,
    BlockReason,
    RiskAdjustedAction,
    RiskStatus,
    StrategyIntent,
)
from krakked_core.model.precision import ACCOUNTING_PRECISION, decimal_text, floor_internal
from krakked_core.risk.budgets import Addition, Budgets
from krakked_core.risk.conflicts import reduced_target, select_intents, wants_to_add
from krakked_core.risk.context import RiskContext
from krakked_core.risk.exposure import percent_of, value_by_asset, value_by_owner
from krakked_core.risk.gates import Finding, opening_gates
from krakked_core.risk.kill_switch import KillSwitch, kill_switch
from krakked_core.risk.sizing import average_true_range, risk_sized_base

log = logging.getLogger(__name__)

DEFAULT_STOP_ATR_MULTIPLE = Decimal("2.0")
DEFAULT_MAX_POSITIONS = 6  # StrategyConfig's default, for strategies without a config


@dataclass(slots=True)
class _Leg:
    """One strategy's part in one pair's action."""

    intent: StrategyIntent
    owned: Decimal
    target: Decimal
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    blocked: bool = False  # wanted to add and nothing was allowed

    @property
    def owner(self) -> str:
        return self.intent.strategy_id


class RiskEngine:
    """Compose the risk rules; pure: the same intents and context give the same actions."""

    def __init__(
        self,
        risk: RiskConfig,
        strategies: Mapping[str, StrategyConfig],
        *,
        default_min_liquidity_usd: Decimal = Decimal(0),
    ) -> None:
        self._risk = risk
        self._strategies = strategies
        configured = risk.min_liquidity_24h_usd
        self._min_liquidity = (
            default_min_liquidity_usd if configured is None else Decimal(str(configured))
        )

    @classmethod
    def from_config(cls, config: AppConfig) -> "RiskEngine":
        """Build from the app config (``min_liquidity_24h_usd`` defaults to the universe's)."""
        return cls(
            config.risk,
            config.strategies.configs,
            default_min_liquidity_usd=Decimal(str(config.universe.min_24h_volume_usd)),
        )

    def evaluate(
        self, intents: Sequence[StrategyIntent], ctx: RiskContext
    ) -> list[RiskAdjustedAction]:
        """Return one action per pair the intents name, sorted by pair."""
        with localcontext(prec=ACCOUNTING_PRECISION):
            switch = kill_switch(self._risk, ctx)
            legs = [self._leg(intent, ctx) for intent in select_intents(intents).values()]
            unit_risk = _UnitRisk(ctx, self._risk.volatility_lookback_bars, self._stop_multiples())
            budgets = Budgets(self._risk, ctx, unit_risk)
            adding = [leg for leg in legs if wants_to_add(leg.intent)]
            adding.sort(key=lambda leg: (-leg.intent.confidence, leg.intent.pair, leg.owner))
            for leg in adding:
                self._add(leg, ctx, switch, budgets, unit_risk)
            pairs = sorted({leg.intent.pair for leg in legs})
            return [
                self._action(pair, [leg for leg in legs if leg.intent.pair == pair], ctx, unit_risk)
                for pair in pairs
            ]

    def status(self, ctx: RiskContext) -> RiskStatus:
        """Return the kill switch state and exposures (every position counted) for the operator."""
        with localcontext(prec=ACCOUNTING_PRECISION):
            switch = kill_switch(self._risk, ctx)
            total = sum((p.value_usd for p in ctx.positions), Decimal(0))
            return RiskStatus(
                kill_switch_active=switch.active,
                kill_switch_reasons=switch.codes,
                daily_drawdown_pct=switch.drawdown_pct,
                drift_flag=ctx.drift_flag,
                total_exposure_pct=percent_of({"total": total}, ctx.equity_usd)["total"],
                per_asset_exposure_pct=percent_of(value_by_asset(ctx), ctx.equity_usd),
                per_strategy_exposure_pct=percent_of(value_by_owner(ctx), ctx.equity_usd),
            )

    # --- one strategy's leg -------------------------------------------------------------------

    def _leg(self, intent: StrategyIntent, ctx: RiskContext) -> "_Leg":
        owned = ctx.owned(intent.pair, intent.strategy_id)
        if wants_to_add(intent):
            return _Leg(intent=intent, owned=owned, target=owned)
        target = floor_internal(reduced_target(intent, owned, ctx.price(intent.pair)))
        return _Leg(intent=intent, owned=owned, target=target)

    def _add(
        self,
        leg: _Leg,
        ctx: RiskContext,
        switch: KillSwitch,
        budgets: Budgets,
        unit_risk: "_UnitRisk",
    ) -> None:
        """Size one addition and fit it under the gates and budgets (or block it)."""
        pair, strategy_id = leg.intent.pair, leg.intent.strategy_id
        gates = opening_gates(pair, ctx, switch, self._min_liquidity)
        price = ctx.price(pair)  # None only when a gate already fired
        unit = unit_risk(pair, strategy_id)
        if unit is None:
            lookback = self._risk.volatility_lookback_bars
            gates.append((BlockReason.DATA_STALE, f"no ATR for {pair}: needs {lookback} bars"))
        if gates or price is None or unit is None:
            leg.findings.extend(gates)
            leg.blocked = True
            return
        wanted = self._wanted_size(leg, ctx.equity_usd, price, unit)
        if wanted <= leg.owned:
            leg.notes.append(f"holds {decimal_text(leg.owned)} of a {decimal_text(wanted)} target")
            return
        add = Addition(
            strategy_id=strategy_id,
            pair=pair,
            base_asset=ctx.base_asset(pair),
            increment=wanted - leg.owned,
            price=price,
            unit_risk=min(unit, price),
            strategy_max_positions=self._strategy_max_positions(strategy_id),
        )
        approved, findings = budgets.approve(add)
        leg.findings.extend(findings)
        if approved * price < self._risk.deadband_usd:
            leg.blocked = bool(findings)
            leg.notes.append(f"addition of ${decimal_text(round(approved * price, 2))} too small")
            return
        budgets.commit(add, approved)
        leg.target = leg.owned + approved

    def _wanted_size(self, leg: _Leg, equity: Decimal, price: Decimal, unit: Decimal) -> Decimal:
        """Return the base size the strategy asks for, bounded by max_risk_per_trade_pct."""
        risk_pct = Decimal(str(self._risk.max_risk_per_trade_pct))
        limit = risk_sized_base(equity, risk_pct, unit)
        desired = leg.intent.desired_exposure_usd
        if desired is None:
            leg.notes.append(
                f"sized by ATR: {decimal_text(risk_pct)}% of equity / ${decimal_text(unit)} "
                f"risk per unit = {decimal_text(limit)}"
            )
            return limit
        wanted = floor_internal(desired / price)
        if wanted > limit and wanted > leg.owned:
            text = f"size capped at {decimal_text(limit)} by {decimal_text(risk_pct)}% per trade"
            leg.findings.append((BlockReason.MAX_RISK_PER_TRADE, text))
            return max(limit, leg.owned)
        return wanted

    # --- per strategy --------------------------------------------------------------------------

    def _stop_multiples(self) -> dict[str, Decimal]:
        return {sid: cfg.stop_atr_multiple for sid, cfg in self._strategies.items()}

    def _strategy_max_positions(self, strategy_id: str) -> int:
        config = self._strategies.get(strategy_id)
        return DEFAULT_MAX_POSITIONS if config is None else config.max_positions

    # --- one pair's action ---------------------------------------------------------------------

    def _action(
        self, pair: str, legs: list[_Leg], ctx: RiskContext, unit_risk: "_UnitRisk"
    ) -> RiskAdjustedAction:
        current = ctx.position(pair)
        price = ctx.price(pair)
        target = current + sum((leg.target - leg.owned for leg in legs), Decimal(0))
        notes: list[str] = []
        deadband = self._risk.deadband_usd
        if target != current and price is not None and abs(target - current) * price < deadband:
            notes.append(f"change below the ${decimal_text(deadband)} deadband")
            target = current
        action_type = _action_type(current, target)
        blocked = action_type == "none" and any(leg.blocked for leg in legs)
        if blocked:
            action_type = "open" if current == 0 else "increase"
        findings = [finding for leg in legs for finding in leg.findings]
        reason = _reason(legs, notes, blocked)
        if len(legs) > 1:
            log.info("risk: %d strategies on %s aggregated: %s", len(legs), pair, reason)
        return RiskAdjustedAction(
            pair=pair,
            strategy_id="+".join(sorted({leg.owner for leg in legs})),
            action_type=action_type,
            target_base_size=target,
            target_notional_usd=target * price if price is not None else Decimal(0),
            current_base_size=current,
            reason=reason,
            blocked=blocked,
            clamped=not blocked and bool(findings),
            blocked_reasons=_codes(findings),
            risk_limits_snapshot=self._snapshot(ctx, price, unit_risk.atr(pair)),
        )

    def _snapshot(
        self, ctx: RiskContext, price: Decimal | None, atr: Decimal | None
    ) -> dict[str, str]:
        values = {
            "equity_usd": ctx.equity_usd,
            "price": price,
            "atr": atr,
            "deadband_usd": self._risk.deadband_usd,
        }
        return {key: decimal_text(value) for key, value in values.items() if value is not None}


class _UnitRisk:
    """Per-unit risk of (pair, owner): ATR × the owner's stop multiple, None when unknown."""

    def __init__(self, ctx: RiskContext, lookback: int, multiples: Mapping[str, Decimal]) -> None:
        self._ctx = ctx
        self._lookback = lookback
        self._multiples = multiples
        self._atr: dict[str, Decimal | None] = {}

    def atr(self, pair: str) -> Decimal | None:
        """Return the pair's ATR over the lookback (None with too few bars)."""
        if pair not in self._atr:
            self._atr[pair] = average_true_range(self._ctx.bars.get(pair, ()), self._lookback)
        return self._atr[pair]

    def __call__(self, pair: str, strategy_id: str) -> Decimal | None:
        atr = self.atr(pair)
        if atr is None or atr <= 0:
            return None
        return atr * self._multiples.get(strategy_id, DEFAULT_STOP_ATR_MULTIPLE)


def _action_type(current: Decimal, target: Decimal) -> ActionType:
    if target > current:
        return "open" if current == 0 else "increase"
    if target < current:
        return "close" if target == 0 else "reduce"
    return "none"


def _codes(findings: Sequence[Finding]) -> tuple[str, ...]:
    """Return the distinct codes in BlockReason's order (stable, whatever the leg order)."""
    fired = {code for code, _ in findings}
    return tuple(code.value for code in BlockReason if code in fired)


def _reason(legs: Sequence[_Leg], notes: Sequence[str], blocked: bool) -> str:
    """Say per strategy what it asked and what the rules did, e.g. ``a enter: sized by ATR…``."""
    parts = []
    for leg in sorted(legs, key=lambda leg: leg.owner):
        details = [text for _, text in leg.findings] + leg.notes
        head = f"{leg.owner} {leg.intent.intent_type}"
        parts.append(f"{head}: {'; '.join(details)}" if details else head)
    text = " | ".join([*parts, *notes])
    return f"blocked: {text}" if blocked else text
