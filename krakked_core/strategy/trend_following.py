"""trend_following: long while a fast moving average is above a slow one by a minimum margin.

Enter (unless already holding) when fast > slow and the trend strength, (fast - slow) / slow in
percent, is at least ``min_trend_strength_pct``; exit a held position once fast < slow. The
signal is the regime, not the crossing bar, so a missed cycle cannot lose an entry.
"""

from typing import Literal

from pydantic import Field, model_validator

from krakked_core.model.decisions import StrategyIntent
from krakked_core.strategy.base import Strategy, StrategyContext, StrategyParams
from krakked_core.strategy.indicators import FloatArray, Indicators, ema, sma

# EMAs are seeded with the first close; this many slow periods make the seed's weight negligible.
EMA_HISTORY_FACTOR = 10


class TrendFollowingParams(StrategyParams):
    ma_fast: int = Field(20, ge=1)
    ma_slow: int = Field(50, ge=2)
    ma_type: Literal["sma", "ema"] = "sma"
    min_trend_strength_pct: float = Field(0.5, ge=0)

    @model_validator(mode="after")
    def _fast_below_slow(self) -> "TrendFollowingParams":
        if self.ma_fast >= self.ma_slow:
            raise ValueError(f"ma_fast ({self.ma_fast}) must be below ma_slow ({self.ma_slow})")
        return self


class TrendFollowingStrategy(Strategy):
    params_model = TrendFollowingParams
    params: TrendFollowingParams

    @property
    def lookback(self) -> int:
        factor = EMA_HISTORY_FACTOR if self.params.ma_type == "ema" else 1
        return self.params.ma_slow * factor + 1

    def indicators(self, closes: FloatArray) -> Indicators:
        average = ema if self.params.ma_type == "ema" else sma
        return {
            "close": closes,
            "fast": average(closes, self.params.ma_fast),
            "slow": average(closes, self.params.ma_slow),
        }

    def decide_on(
        self, ctx: StrategyContext, pair: str, indicators: Indicators
    ) -> StrategyIntent | None:
        fast = float(indicators["fast"][-1])
        slow = float(indicators["slow"][-1])
        strength = (fast - slow) / slow * 100
        metadata = {"ma_fast": fast, "ma_slow": slow, "trend_strength_pct": strength}
        if ctx.held_by(self.id, pair) is not None:
            if fast < slow:
                return self.intent(ctx, pair, "exit", confidence=1.0, metadata=metadata)
            return None
        minimum = self.params.min_trend_strength_pct
        if fast <= slow or strength < minimum:
            return None
        # Twice the minimum strength (or any strength, with no minimum) is full confidence.
        confidence = min(1.0, strength / (2 * minimum)) if minimum > 0 else 1.0
        if confidence < self.params.min_signal_confidence:
            return None
        return self.intent(ctx, pair, "enter", confidence=confidence, metadata=metadata)
