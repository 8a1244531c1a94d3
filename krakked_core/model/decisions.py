"""What a decision cycle produces: strategy intents, risk-adjusted actions, the execution plan.

These are the values that cross from strategy to risk to the OMS (contract Phase 4 §3, §6), so
they live in `model/` and depend on nothing else. Sizes and notionals are Decimals because the
OMS turns them into orders; confidence is a float because it is a score, never money.

Spot only: an intent can be long or flat, never short, so no short can be expressed at all.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal

from krakked_core.model.market import Timeframe

IntentSide = Literal["long", "flat"]
IntentType = Literal["enter", "exit", "increase", "reduce", "hold"]
ActionType = Literal["open", "increase", "reduce", "close", "none"]

# Actions that add risk: the kill switch, stale data and an incomplete valuation block these.
OPENING_ACTIONS: frozenset[str] = frozenset({"open", "increase"})


class BlockReason(StrEnum):
    """Machine-readable codes for why an action was blocked or clamped: the limit that fired."""

    MAX_RISK_PER_TRADE = "max_risk_per_trade_pct"
    MAX_PORTFOLIO_RISK = "max_portfolio_risk_pct"
    MAX_OPEN_POSITIONS = "max_open_positions"
    MAX_PER_ASSET = "max_per_asset_pct"
    MAX_PER_STRATEGY = "max_per_strategy_pct"
    MIN_LIQUIDITY = "min_liquidity_24h_usd"
    KILL_SWITCH_DRAWDOWN = "kill_switch_drawdown"
    KILL_SWITCH_DRIFT = "kill_switch_drift"
    KILL_SWITCH_MANUAL = "kill_switch_manual"
    DATA_STALE = "data_stale"
    VALUATION_INCOMPLETE = "valuation_incomplete"


def _require_aware(when: datetime, name: str) -> None:
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (UTC)")


def _require_finite_non_negative(value: Decimal, name: str) -> None:
    if not value.is_finite() or value < 0:
        raise ValueError(f"{name} must be a finite, non-negative Decimal (got {value})")


@dataclass(frozen=True, slots=True)
class StrategyIntent:
    """A strategy's wish for one pair; the risk engine decides whether and how much."""

    strategy_id: str
    pair: str  # canonical, e.g. "XBTUSD"
    side: IntentSide
    intent_type: IntentType
    desired_exposure_usd: Decimal | None  # None: the risk engine sizes it (ATR)
    confidence: float  # [0, 1]
    timeframe: Timeframe
    generated_at: datetime
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.side not in ("long", "flat"):
            raise ValueError(f"spot only: side must be 'long' or 'flat' (got {self.side!r})")
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"confidence must be within [0, 1] (got {self.confidence})")
        if self.desired_exposure_usd is not None:
            _require_finite_non_negative(self.desired_exposure_usd, "desired_exposure_usd")
        _require_aware(self.generated_at, "generated_at")


@dataclass(frozen=True, slots=True)
class RiskAdjustedAction:
    """One pair's risk-checked target: the contract output of Phase 4 and the OMS's input.

    A block or a clamp is a value, never an exception: ``blocked_reasons`` holds the codes of
    every limit that fired (`BlockReason` values) and ``reason`` says it in words.
    """

    pair: str
    strategy_id: str  # for an aggregate of several strategies: their ids joined by "+"
    action_type: ActionType
    target_base_size: Decimal
    target_notional_usd: Decimal
    current_base_size: Decimal
    reason: str
    blocked: bool = False
    clamped: bool = False
    blocked_reasons: tuple[str, ...] = ()
    risk_limits_snapshot: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _require_finite_non_negative(self.target_base_size, "target_base_size")
        _require_finite_non_negative(self.target_notional_usd, "target_notional_usd")
        _require_finite_non_negative(self.current_base_size, "current_base_size")
        if self.blocked and not self.blocked_reasons:
            raise ValueError("a blocked action must say which limit blocked it")


@dataclass(frozen=True, slots=True)
class ExecutionPlan:
    """Every action of one decision cycle, as persisted and handed to the OMS."""

    plan_id: str
    generated_at: datetime
    timeframe: Timeframe
    actions: tuple[RiskAdjustedAction, ...]
    intents: tuple[StrategyIntent, ...] = ()
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _require_aware(self.generated_at, "generated_at")

    @property
    def blocked_count(self) -> int:
        return sum(1 for action in self.actions if action.blocked)

    @property
    def opening_actions(self) -> tuple[RiskAdjustedAction, ...]:
        """Actions that would add risk and were approved."""
        return tuple(a for a in self.actions if a.action_type in OPENING_ACTIONS and not a.blocked)


@dataclass(frozen=True, slots=True)
class RiskStatus:
    """The risk engine's view for the operator (contract Phase 4 §7.2, Phase 6 §4.3)."""

    kill_switch_active: bool
    kill_switch_reasons: tuple[str, ...]  # BlockReason kill-switch codes currently in force
    daily_drawdown_pct: Decimal
    drift_flag: bool
    total_exposure_pct: Decimal
    per_asset_exposure_pct: Mapping[str, Decimal]
    per_strategy_exposure_pct: Mapping[str, Decimal]
