"""RiskEngine: intents + RiskContext → RiskAdjustedActions (contract Phase 4 §5).

Interface first; the body lands in the next commit.
"""

from collections.abc import Mapping, Sequence
from decimal import Decimal

from krakked_core.config import AppConfig, RiskConfig, StrategyConfig
from krakked_core.model.decisions import RiskAdjustedAction, RiskStatus, StrategyIntent
from krakked_core.risk.context import RiskContext


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
        self._default_min_liquidity = default_min_liquidity_usd

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
        raise NotImplementedError

    def status(self, ctx: RiskContext) -> RiskStatus:
        """Return the kill switch state and exposures for the operator."""
        raise NotImplementedError
