"""The API's JSON shapes (contract Phase 6 §4), inside the ``{"data": …, "error": …}``
envelope. Money and percentages are decimal strings (as ``portfolio.views`` writes them), times
ISO 8601 UTC with a ``Z``. The routes fill these from the views the CLI prints too.
"""

from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")

Money = str  # a decimal string: every significant digit, no exponent


class Envelope(BaseModel, Generic[T]):
    data: T
    error: None = None


class ErrorEnvelope(BaseModel):
    data: None = None
    error: str


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- portfolio ------------------------------------------------------------------------------


class PortfolioSummaryOut(BaseModel):
    equity_usd: Money
    cash_usd: Money
    realized_pnl_usd: Money
    unrealized_pnl_usd: Money
    drift_flag: bool
    last_snapshot_ts: str | None
    complete: bool
    unvalued_assets: list[str]


class PositionOut(BaseModel):
    pair: str
    base_asset: str
    base_size: Money
    avg_entry_price: Money | None
    current_price: Money | None
    value_usd: Money | None
    unrealized_pnl_usd: Money | None
    strategy_tag: str | None


class AssetExposureOut(BaseModel):
    asset: str
    value_usd: Money | None
    pct_of_equity: Money | None


class StrategyExposureOut(BaseModel):
    strategy_id: str
    value_usd: Money | None
    pct_of_equity: Money | None


class ExposureOut(BaseModel):
    by_asset: list[AssetExposureOut]
    by_strategy: list[StrategyExposureOut]


class TradeOut(BaseModel):
    trade_id: str
    order_id: str | None
    pair: str
    time: str
    side: str
    price: Money
    base_delta: Money
    quote_delta: Money
    fee_asset: str
    fee_amount: Money
    fee_usd: Money | None
    realized_pnl_usd: Money
    strategy_tag: str


class SnapshotOut(BaseModel):
    id: int | None
    timestamp: str
    equity_usd: Money
    cash_usd: Money
    realized_pnl_usd: Money
    unrealized_pnl_usd: Money
    drift_flag: bool
    complete: bool
    unvalued_assets: list[str]


# --- risk -----------------------------------------------------------------------------------


class RiskStatusOut(BaseModel):
    kill_switch_active: bool
    kill_switch_reasons: list[str]
    manual_kill_switch: "KillSwitchOut"
    daily_drawdown_pct: Money
    drift_flag: bool
    total_exposure_pct: Money
    per_asset_exposure_pct: dict[str, Money | None]
    per_strategy_exposure_pct: dict[str, Money | None]


class KillSwitchOut(BaseModel):
    active: bool
    reason: str
    source: str
    changed_at: str | None


class KillSwitchIn(_In):
    active: bool
    reason: str = Field("", max_length=500)
    confirm: str = Field("", description='"DISABLE KILL SWITCH" to clear; never needed to set')


class RiskConfigOut(BaseModel):
    max_risk_per_trade_pct: float
    max_portfolio_risk_pct: float
    max_open_positions: int
    max_per_asset_pct: float
    max_per_strategy_pct: dict[str, float]
    max_daily_drawdown_pct: float
    kill_switch_on_drift: bool
    include_manual_positions: bool
    volatility_lookback_bars: int
    min_liquidity_24h_usd: float | None
    deadband_usd: Money
    overridden: list[str] = Field(description="keys the runtime overlay sets")


class RiskConfigPatch(_In):
    """Any of the risk limits; the merged config is validated as the config file is."""

    max_risk_per_trade_pct: float | None = None
    max_portfolio_risk_pct: float | None = None
    max_open_positions: int | None = None
    max_per_asset_pct: float | None = None
    max_per_strategy_pct: dict[str, float] | None = None
    max_daily_drawdown_pct: float | None = None
    kill_switch_on_drift: bool | None = None
    include_manual_positions: bool | None = None
    volatility_lookback_bars: int | None = None
    min_liquidity_24h_usd: float | None = None
    deadband_usd: Money | None = None


# --- strategies -----------------------------------------------------------------------------


class PnlSummaryOut(BaseModel):
    realized_usd: Money
    unrealized_usd: Money


class StrategyOut(BaseModel):
    id: str
    type: str
    enabled: bool
    userref: int | None
    timeframes: list[str]
    max_positions: int
    current_positions: int
    pnl_summary: PnlSummaryOut
    last_intents_at: str | None
    last_actions_at: str | None


class StrategyEnabledIn(_In):
    enabled: bool


class StrategyConfigOut(BaseModel):
    id: str
    type: str
    enabled: bool
    timeframes: list[str]
    universe_filter: str | dict[str, Any]
    max_positions: int
    stop_atr_multiple: Money
    userref: int | None
    priority: int
    params: dict[str, Any]
    overridden: list[str]


class StrategyConfigPatch(_In):
    """The safe runtime parameters; type, userref, timeframes and universe stay in the file."""

    max_positions: int | None = None
    stop_atr_multiple: Money | None = None
    priority: int | None = None
    params: dict[str, Any] | None = None


# --- decisions and audit --------------------------------------------------------------------


class ActionOut(BaseModel):
    pair: str
    strategy_id: str
    action_type: str
    target_base_size: Money
    target_notional_usd: Money
    current_base_size: Money
    blocked: bool
    clamped: bool
    blocked_reasons: list[str]
    reason: str


class IntentOut(BaseModel):
    strategy_id: str
    pair: str
    side: str
    intent_type: str
    desired_exposure_usd: Money | None
    confidence: float
    timeframe: str
    generated_at: str


class DecisionOut(BaseModel):
    plan_id: str
    time: str
    timeframe: str
    strategy_intents_count: int
    actions_count: int
    blocked_actions_count: int
    kill_switch_active: bool
    kill_switch_reasons: list[str]
    notes: str
    intents: list[IntentOut]
    actions: list[ActionOut]


class AuditOut(BaseModel):
    id: int
    at: str
    action: str
    params: dict[str, Any]
    source: str
    client: str
    outcome: Literal["ok", "refused", "failed"]
    detail: str


# --- execution ------------------------------------------------------------------------------


class OrderOut(BaseModel):
    local_id: str
    plan_id: str | None
    strategy_id: str
    pair: str
    side: str
    order_type: str
    kraken_order_id: str | None
    requested_base_size: Money
    requested_price: Money | None
    status: str
    cumulative_base_filled: Money
    avg_fill_price: Money | None
    created_at: str
    updated_at: str


class ExecutionOut(BaseModel):
    plan_id: str
    mode: str
    started_at: str
    completed_at: str | None
    success: bool
    errors: list[str]
    orders: list[OrderOut]


class CancelAllOut(BaseModel):
    canceled: int


# --- system ---------------------------------------------------------------------------------


class ComponentOut(BaseModel):
    name: str
    ok: bool
    detail: str


class HealthOut(BaseModel):
    market_data_ok: bool
    portfolio_ok: bool
    strategy_engine_ok: bool
    execution_ok: bool
    mode: str
    components: list[ComponentOut]
    version: str
    schema_revisions: list[str]
    started_at: str


class ExecutionModeIn(_In):
    mode: Literal["paper", "live", "dry_run"]
    confirm: str = Field("", description='"GO LIVE" to switch to live')


class ExecutionModeOut(BaseModel):
    mode: str
    note: str


class ConfirmIn(_In):
    confirm: str = ""


RiskStatusOut.model_rebuild()
