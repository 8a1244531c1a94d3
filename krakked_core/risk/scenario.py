"""``krakked risk evaluate SCENARIO.json``: the risk engine alone on a what-if world.

Scenario keys (all but ``now`` and ``equity_usd`` optional):
``now`` (ISO, with offset), ``equity_usd``, ``cash_usd``, ``positions`` (``pair``, ``base_size``,
``price``, ``strategy_id`` [default "manual"]), ``bars`` (``{pair: [[time, open, high, low, close,
volume], ...]}``, time in epoch seconds, oldest first), ``equity_history`` (``[[iso, equity],
...]``, complete snapshots), ``drift_flag``, ``kill_switch`` (true, or the reason text),
``risk`` (overrides of the ``risk`` config), ``strategies`` (overrides of
``strategies.configs``, by id), ``intents`` (StrategyIntent fields; ``confidence`` defaults to 1,
``timeframe`` to "1h", ``generated_at`` to ``now``).

A pair's price is its position's, else its last bar's close; its 24h liquidity is the sum of
volume × close over its bars opened in the 24 h before ``now`` (a pair without such bars counts
as illiquid when a liquidity floor applies). Money in the output is decimal strings.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from krakked_core.config import AppConfig, RiskConfig, StrategyConfig, describe_validation
from krakked_core.errors import ConfigError
from krakked_core.model.decisions import (
    IntentSide,
    IntentType,
    RiskAdjustedAction,
    RiskStatus,
    StrategyIntent,
)
from krakked_core.model.market import Bar, Timeframe
from krakked_core.portfolio.models import MANUAL
from krakked_core.risk.context import PositionExposure, RiskContext
from krakked_core.risk.engine import RiskEngine
from krakked_core.risk.views import action_json, risk_status_json

LIQUIDITY_WINDOW = timedelta(hours=24)
BarRow = tuple[int, float, float, float, float, float]


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _Position(_Strict):
    pair: str
    base_size: Decimal = Field(ge=0)
    price: Decimal = Field(gt=0)
    strategy_id: str = MANUAL


class _Intent(_Strict):
    strategy_id: str
    pair: str
    side: IntentSide
    intent_type: IntentType
    desired_exposure_usd: Decimal | None = Field(None, ge=0)
    confidence: float = Field(1.0, ge=0, le=1)
    timeframe: Timeframe = "1h"
    generated_at: AwareDatetime | None = None
    metadata: dict[str, Any] = {}


class _Scenario(_Strict):
    now: AwareDatetime
    equity_usd: Decimal
    cash_usd: Decimal = Decimal(0)
    positions: list[_Position] = []
    bars: dict[str, list[BarRow]] = {}
    equity_history: list[tuple[AwareDatetime, Decimal]] = []
    drift_flag: bool = False
    kill_switch: bool | str = False
    risk: dict[str, Any] = {}
    strategies: dict[str, dict[str, Any]] = {}
    intents: list[_Intent] = []


@dataclass(frozen=True, slots=True)
class ScenarioResult:
    """The engine's answer to one scenario."""

    actions: tuple[RiskAdjustedAction, ...]
    risk_status: RiskStatus

    def to_json(self) -> dict[str, Any]:
        """Return ``{"actions": [...], "risk_status": {...}}`` with money as decimal strings."""
        return {
            "actions": [action_json(action) for action in self.actions],
            "risk_status": risk_status_json(self.risk_status),
        }


def evaluate_scenario(data: Mapping[str, Any], config: AppConfig | None = None) -> ScenarioResult:
    """Run the risk engine on a scenario; ConfigError naming the key when it is malformed.

    ``config`` is the base the scenario's ``risk`` and ``strategies`` override (default: the
    built-in defaults).
    """
    base = config or AppConfig()
    scenario = _parse(data)
    risk = _risk_config(base.risk, scenario.risk)
    strategies = _strategy_configs(base.strategies.configs, scenario.strategies)
    engine = RiskEngine(
        risk,
        strategies,
        default_min_liquidity_usd=Decimal(str(base.universe.min_24h_volume_usd)),
    )
    ctx = _context(scenario)
    intents = [_intent(intent, scenario.now) for intent in scenario.intents]
    return ScenarioResult(
        actions=tuple(engine.evaluate(intents, ctx)), risk_status=engine.status(ctx)
    )


def _parse(data: Mapping[str, Any]) -> _Scenario:
    try:
        return _Scenario.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(describe_validation(exc, "scenario", "scenario")) from None


def _risk_config(base: RiskConfig, overrides: Mapping[str, Any]) -> RiskConfig:
    try:
        return RiskConfig.model_validate({**base.model_dump(), **overrides})
    except ValidationError as exc:
        raise ConfigError(describe_validation(exc, "scenario", "scenario.risk")) from None


def _strategy_configs(
    base: Mapping[str, StrategyConfig], overrides: Mapping[str, Mapping[str, Any]]
) -> dict[str, StrategyConfig]:
    configs = dict(base)
    for strategy_id, override in sorted(overrides.items()):
        where = f"scenario.strategies.{strategy_id}"
        unknown = sorted(set(override) - set(StrategyConfig.model_fields))
        if unknown:
            raise ConfigError(f"{where}.{unknown[0]}: unknown key")
        known = (
            configs[strategy_id].model_dump() if strategy_id in configs else {"type": "scenario"}
        )
        try:
            configs[strategy_id] = StrategyConfig.model_validate({**known, **override})
        except ValidationError as exc:
            raise ConfigError(describe_validation(exc, "scenario", where)) from None
    return configs


def _context(scenario: _Scenario) -> RiskContext:
    bars = {pair: [_bar(row) for row in rows] for pair, rows in scenario.bars.items()}
    kill = scenario.kill_switch
    return RiskContext(
        now=scenario.now,
        equity_usd=scenario.equity_usd,
        cash_usd=scenario.cash_usd,
        positions=tuple(
            PositionExposure(
                pair=p.pair,
                base_asset=p.pair.removesuffix("USD") or p.pair,
                base_size=p.base_size,
                price=p.price,
                strategy_id=p.strategy_id,
            )
            for p in scenario.positions
        ),
        bars=bars,
        liquidity_24h_usd={pair: _liquidity(rows, scenario.now) for pair, rows in bars.items()},
        equity_history=tuple(scenario.equity_history),
        drift_flag=scenario.drift_flag,
        kill_switch_manual=kill is not False,
        kill_switch_reason=kill if isinstance(kill, str) else None,
    )


def _bar(row: BarRow) -> Bar:
    time, open_, high, low, close, volume = row
    return Bar(
        time=time, open=open_, high=high, low=low, close=close, vwap=close, volume=volume, count=0
    )


def _liquidity(bars: list[Bar], now: datetime) -> Decimal:
    since = int((now - LIQUIDITY_WINDOW).timestamp())
    recent = [bar for bar in bars if since <= bar.time < now.timestamp()]
    return sum((Decimal(str(b.volume)) * Decimal(str(b.close)) for b in recent), Decimal(0))


def _intent(intent: _Intent, now: datetime) -> StrategyIntent:
    try:
        return StrategyIntent(
            strategy_id=intent.strategy_id,
            pair=intent.pair,
            side=intent.side,
            intent_type=intent.intent_type,
            desired_exposure_usd=intent.desired_exposure_usd,
            confidence=intent.confidence,
            timeframe=intent.timeframe,
            generated_at=intent.generated_at or now,
            metadata=intent.metadata,
        )
    except ValueError as exc:
        raise ConfigError(f"scenario.intents: {exc}") from None
