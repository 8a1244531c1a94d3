"""ema_cross_rsi: the EMA(12)/EMA(26) cross with an RSI(14) filter, Freqtrade's sample family.

Enter when EMA(fast) crosses above EMA(slow) on the last closed candle and RSI < ``rsi_max``;
exit when EMA(fast) crosses back below, or, if set, when the close is ``roi_pct`` above the
position's average entry price or ``stop_pct`` below it. Indicator definitions are in
``indicators.py``; crosses are qtpylib's; roi and stop are checked on the closed candle's close
(not intrabar), which a backtester comparing trade for trade must do the same way.
"""

from decimal import Decimal

from pydantic import Field, model_validator

from krakked_core.model.decisions import StrategyIntent
from krakked_core.strategy.base import HeldPosition, Strategy, StrategyContext, StrategyParams
from krakked_core.strategy.indicators import (
    FloatArray,
    Indicators,
    crossed_above,
    crossed_below,
    ema,
    rsi,
)


class EmaCrossRsiParams(StrategyParams):
    ema_fast: int = Field(12, ge=1)
    ema_slow: int = Field(26, ge=2)
    rsi_period: int = Field(14, ge=2)
    rsi_max: float = Field(70.0, gt=0, le=100)
    roi_pct: Decimal | None = Field(None, gt=0)
    stop_pct: Decimal | None = Field(None, gt=0, lt=100)
    # Closes read per cycle: EMAs are seeded with the first, so read far more than ema_slow.
    history_bars: int = Field(300, ge=3)

    @model_validator(mode="after")
    def _consistent(self) -> "EmaCrossRsiParams":
        if self.ema_fast >= self.ema_slow:
            raise ValueError(f"ema_fast ({self.ema_fast}) must be below ema_slow ({self.ema_slow})")
        if self.history_bars <= max(self.ema_slow, self.rsi_period) + 1:
            raise ValueError("history_bars must exceed ema_slow and rsi_period by at least 2")
        return self


class EmaCrossRsiStrategy(Strategy):
    params_model = EmaCrossRsiParams
    params: EmaCrossRsiParams

    @property
    def lookback(self) -> int:
        return self.params.history_bars

    def indicators(self, closes: FloatArray) -> Indicators:
        return {
            "close": closes,
            "fast": ema(closes, self.params.ema_fast),
            "slow": ema(closes, self.params.ema_slow),
            "rsi": rsi(closes, self.params.rsi_period),
        }

    def decide_on(
        self, ctx: StrategyContext, pair: str, indicators: Indicators
    ) -> StrategyIntent | None:
        closes, fast, slow = indicators["close"], indicators["fast"], indicators["slow"]
        rsi_now = float(indicators["rsi"][-1])
        metadata: dict[str, object] = {
            "ema_fast": float(fast[-1]),
            "ema_slow": float(slow[-1]),
            "rsi": rsi_now,
        }
        held = ctx.held_by(self.id, pair)
        if held is not None:
            exit_reason = self._exit_reason(held, float(closes[-1]), fast, slow)
            if exit_reason is None:
                return None
            metadata["exit"] = exit_reason
            return self.intent(ctx, pair, "exit", confidence=1.0, metadata=metadata)
        if crossed_above(fast, slow) and rsi_now < self.params.rsi_max:
            return self.intent(ctx, pair, "enter", confidence=1.0, metadata=metadata)
        return None

    def _exit_reason(
        self, held: HeldPosition, close: float, fast: FloatArray, slow: FloatArray
    ) -> str | None:
        entry = held.avg_entry_price
        price = Decimal(str(close))
        stop, roi = self.params.stop_pct, self.params.roi_pct
        if entry is not None and stop is not None and price <= entry * (1 - stop / 100):
            return "stop"
        if entry is not None and roi is not None and price >= entry * (1 + roi / 100):
            return "roi"
        return "ema_cross_down" if crossed_below(fast, slow) else None
