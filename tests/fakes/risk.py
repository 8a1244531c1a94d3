"""Builders for risk tests: intents, positions and a RiskContext with round numbers."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from krakked_core.config import RiskConfig, StrategyConfig
from krakked_core.model.decisions import IntentType, StrategyIntent
from krakked_core.risk.context import PositionExposure, RiskContext
from krakked_core.risk.engine import RiskEngine
from tests.fakes.candles import T0, flat_bars

NOW = datetime.fromtimestamp(T0, UTC)
# Liquid enough for any floor the tests use.
LIQUID = Decimal(10_000_000)


def intent(
    pair: str = "XBTUSD",
    strategy_id: str = "trend",
    intent_type: IntentType = "enter",
    *,
    desired: str | None = None,
    confidence: float = 1.0,
) -> StrategyIntent:
    side = "flat" if intent_type == "exit" else "long"
    return StrategyIntent(
        strategy_id=strategy_id,
        pair=pair,
        side=side,
        intent_type=intent_type,
        desired_exposure_usd=None if desired is None else Decimal(desired),
        confidence=confidence,
        timeframe="1h",
        generated_at=NOW,
    )


def position(
    pair: str = "XBTUSD", size: str = "1", price: str = "20000", owner: str = "trend"
) -> PositionExposure:
    return PositionExposure(
        pair=pair,
        base_asset=pair.removesuffix("USD"),
        base_size=Decimal(size),
        price=Decimal(price),
        strategy_id=owner,
    )


def context(
    *,
    equity: str = "100000",
    prices: dict[str, str] | None = None,
    atr: float = 500.0,
    positions: tuple[PositionExposure, ...] = (),
    **overrides: Any,
) -> RiskContext:
    """A context where every priced pair has 21 flat hourly bars with true range ``atr``."""
    priced = {pair: Decimal(value) for pair, value in (prices or {"XBTUSD": "20000"}).items()}
    for held in positions:
        priced.setdefault(held.pair, held.price)
    fields: dict[str, Any] = {
        "now": NOW,
        "equity_usd": Decimal(equity),
        "cash_usd": Decimal(equity),
        "positions": positions,
        "prices": priced,
        "bars": {
            pair: flat_bars(21, close=float(price), true_range=atr, end=T0)
            for pair, price in priced.items()
        },
        "liquidity_24h_usd": dict.fromkeys(priced, LIQUID),
    }
    fields.update(overrides)
    return RiskContext(**fields)


def engine(strategies: dict[str, dict[str, Any]] | None = None, **risk: Any) -> RiskEngine:
    """An engine with loose caps unless a test tightens the one it is about."""
    settings: dict[str, Any] = {
        "max_risk_per_trade_pct": 1.0,
        "max_portfolio_risk_pct": 100.0,
        "max_per_asset_pct": 100.0,
        "max_open_positions": 10,
        "min_liquidity_24h_usd": 100_000.0,
    }
    settings.update(risk)
    configs = {
        sid: StrategyConfig.model_validate({"type": "trend_following", **cfg})
        for sid, cfg in (strategies or {}).items()
    }
    return RiskEngine(RiskConfig.model_validate(settings), configs)


def scenario_bars(close: float, true_range: float, volume: float = 10.0) -> list[list[float]]:
    """21 hourly bars before NOW, each with high - low = true_range."""
    half = true_range / 2
    return [
        [T0 - 3600 * (21 - i), close, close + half, close - half, close, volume] for i in range(21)
    ]


def scenario(**overrides: Any) -> dict[str, Any]:
    """A `krakked risk evaluate` scenario with round numbers; ``overrides`` replace its keys."""
    data: dict[str, Any] = {
        "now": NOW.isoformat(),
        "equity_usd": "100000",
        "cash_usd": "80000",
        "positions": [
            {"pair": "ETHUSD", "base_size": "10", "price": "2000", "strategy_id": "trend"}
        ],
        "bars": {"XBTUSD": scenario_bars(20000, 500), "ETHUSD": scenario_bars(2000, 50)},
        "equity_history": [[NOW.isoformat(), "100000"]],
        "risk": {"max_per_asset_pct": 50},
        "intents": [
            {"strategy_id": "trend", "pair": "XBTUSD", "side": "long", "intent_type": "enter"}
        ],
    }
    data.update(overrides)
    return data
