"""mean_reversion: buy a dip below a band, sell once the price is back at the mean.

``band: bollinger`` enters when the close is below SMA(period) - band_std × σ; ``band: rsi``
enters when RSI(rsi_period) is below ``rsi_entry``. Either way a held position exits when the
close reaches SMA(period), the mean it reverted to.
"""

from typing import Literal

from pydantic import Field

from krakked_core.model.decisions import StrategyIntent
from krakked_core.strategy.base import Strategy, StrategyContext, StrategyParams
from krakked_core.strategy.indicators import FloatArray, Indicators, bollinger, rsi, sma

# Wilder's RSI is seeded from its first period; this many periods make the seed negligible.
RSI_HISTORY_FACTOR = 10


class MeanReversionParams(StrategyParams):
    band: Literal["bollinger", "rsi"] = "bollinger"
    period: int = Field(20, ge=2)
    band_std: float = Field(2.0, gt=0)
    rsi_period: int = Field(14, ge=2)
    rsi_entry: float = Field(30.0, gt=0, lt=100)


class MeanReversionStrategy(Strategy):
    params_model = MeanReversionParams
    params: MeanReversionParams

    @property
    def lookback(self) -> int:
        if self.params.band == "rsi":
            return max(self.params.period, self.params.rsi_period * RSI_HISTORY_FACTOR) + 1
        return self.params.period

    def indicators(self, closes: FloatArray) -> Indicators:
        params = self.params
        series = {"close": closes, "mean": sma(closes, params.period)}
        if params.band == "rsi":
            series["rsi"] = rsi(closes, params.rsi_period)
        else:
            series["lower"] = bollinger(closes, params.period, params.band_std)[0]
        return series

    def decide_on(
        self, ctx: StrategyContext, pair: str, indicators: Indicators
    ) -> StrategyIntent | None:
        close = float(indicators["close"][-1])
        mean = float(indicators["mean"][-1])
        metadata: dict[str, object] = {"close": close, "mean": mean, "band": self.params.band}
        if ctx.held_by(self.id, pair) is not None:
            if close >= mean:
                return self.intent(ctx, pair, "exit", confidence=1.0, metadata=metadata)
            return None
        depth = self._entry_depth(indicators, close, mean)
        if depth is None:
            return None
        # Half confidence right at the band, full at one band-width (or RSI level) beyond it.
        confidence = min(1.0, 0.5 + depth / 2)
        if confidence < self.params.min_signal_confidence:
            return None
        metadata["depth"] = depth
        return self.intent(ctx, pair, "enter", confidence=confidence, metadata=metadata)

    def _entry_depth(self, indicators: Indicators, close: float, mean: float) -> float | None:
        """Return how far beyond the band the close is (≥ 0), or None when it is not."""
        if self.params.band == "rsi":
            value = float(indicators["rsi"][-1])
            entry = self.params.rsi_entry
            return (entry - value) / entry if value < entry else None
        lower = float(indicators["lower"][-1])
        if close >= lower or mean <= lower:
            return None
        return (lower - close) / (mean - lower)
