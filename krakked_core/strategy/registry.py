"""Build strategies from ``strategies.enabled`` / ``strategies.configs`` by their ``type``.

Each type validates its own parameters (a pydantic model, unknown keys forbidden); any problem
is a ConfigError naming ``strategies.configs.<id>.<key>``, raised at config load as well.
"""

from collections.abc import Callable, Mapping

from pydantic import ValidationError

from krakked_core.config import AppConfig, StrategiesConfig, StrategyConfig, describe_validation
from krakked_core.errors import ConfigError
from krakked_core.strategy.base import Strategy
from krakked_core.strategy.ema_cross_rsi import EmaCrossRsiStrategy
from krakked_core.strategy.mean_reversion import MeanReversionStrategy
from krakked_core.strategy.trend_following import TrendFollowingStrategy

StrategyFactory = Callable[[str, StrategyConfig], Strategy]

STRATEGY_TYPES: Mapping[str, StrategyFactory] = {
    "trend_following": TrendFollowingStrategy,
    "mean_reversion": MeanReversionStrategy,
    "ema_cross_rsi": EmaCrossRsiStrategy,
}


def build_strategy(strategy_id: str, config: StrategyConfig) -> Strategy:
    """Build one strategy, or raise ConfigError naming the offending key."""
    where = f"strategies.configs.{strategy_id}"
    factory = STRATEGY_TYPES.get(config.type)
    if factory is None:
        known = ", ".join(sorted(STRATEGY_TYPES))
        raise ConfigError(f"{where}.type: unknown strategy type {config.type!r} (known: {known})")
    try:
        return factory(strategy_id, config)
    except ValidationError as exc:
        raise ConfigError(describe_validation(exc, "strategy parameters", where)) from None


def build_strategies(config: AppConfig) -> list[Strategy]:
    """Build the enabled strategies (listed in ``enabled`` and not ``enabled: false``), by id."""
    configs = config.strategies.configs
    return [
        build_strategy(strategy_id, configs[strategy_id])
        for strategy_id in sorted(set(config.strategies.enabled))
        if configs[strategy_id].enabled
    ]


def check_strategy_configs(strategies: StrategiesConfig) -> None:
    """Validate every configured strategy, enabled or not, so a typo fails at start-up."""
    for strategy_id in sorted(strategies.configs):
        build_strategy(strategy_id, strategies.configs[strategy_id])
