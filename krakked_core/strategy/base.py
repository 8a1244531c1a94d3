"""The strategy interface (contract Phase 4 §4.1): closed candles in, intents out.

A strategy reads bars only through the ``CandleSource`` port in its context and returns
``StrategyIntent``s; it never sizes (the risk engine does), never places orders, and can only say
long or flat (spot). Strategies are deterministic functions of their context.
"""

import logging
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from krakked_core.config import StrategyConfig
from krakked_core.errors import DataError
from krakked_core.model.decisions import IntentSide, IntentType, StrategyIntent
from krakked_core.model.market import Timeframe
from krakked_core.ports import CandleSource
from krakked_core.strategy.indicators import FloatArray, Indicators, closes_of

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class HeldPosition:
    """What a strategy may know of one held pair: size, entry price, and who opened it."""

    pair: str
    base_size: Decimal
    avg_entry_price: Decimal | None  # None: units with no known cost
    strategy_id: str  # "manual" for positions no strategy opened


@dataclass(frozen=True, slots=True)
class StrategyContext:
    """Everything one strategy sees in one decision cycle (one closed candle of ``timeframe``)."""

    now: datetime
    timeframe: Timeframe
    universe: tuple[str, ...]  # the pairs this strategy may trade, sorted
    market_data: CandleSource
    positions: Mapping[str, HeldPosition] = field(default_factory=dict)  # by pair

    def held_by(self, strategy_id: str, pair: str) -> HeldPosition | None:
        """Return the position in ``pair`` if ``strategy_id`` holds one, else None."""
        position = self.positions.get(pair)
        if position is None or position.base_size <= 0 or position.strategy_id != strategy_id:
            return None
        return position


class StrategyParams(BaseModel):
    """Parameters every strategy type accepts; each type extends this with its own."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # Entries scoring below this are not emitted; exits always are.
    min_signal_confidence: float = Field(0.0, ge=0, le=1)
    # Risk:reward the operator aims for (a contract config key): informational, never sizes.
    per_trade_target_r_multiple: float | None = Field(None, gt=0)


class Strategy(ABC):
    """A configured strategy; subclasses implement ``lookback`` and ``decide`` (one pair).

    ``params_model`` validates ``config.params`` (pydantic ValidationError on a bad key).
    """

    params_model: ClassVar[type[StrategyParams]] = StrategyParams
    params: StrategyParams

    def __init__(self, strategy_id: str, config: StrategyConfig) -> None:
        self._id = strategy_id
        self._config = config
        self.params = self.params_model.model_validate(config.params)

    @property
    def id(self) -> str:
        return self._id

    @property
    def config(self) -> StrategyConfig:
        return self._config

    @property
    def timeframes(self) -> tuple[Timeframe, ...]:
        return self._config.timeframes

    @property
    @abstractmethod
    def lookback(self) -> int:
        """Return how many closed bars one evaluation needs (its warmup)."""

    def warmup(self, market_data: CandleSource, portfolio: object) -> None:
        """Prepare from history before the first cycle; the bundled strategies need nothing."""
        del market_data, portfolio

    def generate_intents(self, ctx: StrategyContext) -> list[StrategyIntent]:
        """Return this cycle's intents, one per pair at most, in ``ctx.universe`` order."""
        intents = []
        for pair in ctx.universe:
            closes = self.closes(ctx, pair)
            if closes is not None:
                intent = self.decide(ctx, pair, closes)
                if intent is not None:
                    intents.append(intent)
        return intents

    def decide(self, ctx: StrategyContext, pair: str, closes: FloatArray) -> StrategyIntent | None:
        """Return the intent for one pair from its last ``lookback`` closes, or None."""
        return self.decide_on(ctx, pair, self.indicators(closes))

    def indicators(self, closes: FloatArray) -> Indicators:
        """Return this strategy's indicator series over ``closes`` (each as long as ``closes``).

        Vectorized: computed over a whole series once, any prefix ``[: i + 1]`` of the result is
        what a decision at bar ``i`` reads (a replay slices instead of recomputing per bar).
        The default is the closes alone.
        """
        return {"close": closes}

    def decide_on(
        self, ctx: StrategyContext, pair: str, indicators: Indicators
    ) -> StrategyIntent | None:
        """Return the intent for one pair from indicator series whose last value is now.

        A strategy implements this (and ``indicators``) or overrides ``decide`` itself.
        """
        raise NotImplementedError(f"{type(self).__name__} implements neither decide nor decide_on")

    def closes(self, ctx: StrategyContext, pair: str) -> FloatArray | None:
        """Return the last ``lookback`` closes of ``pair``, or None (logged) if data is unusable.

        One pair without enough history must not silence the strategy on every other pair.
        """
        try:
            bars = ctx.market_data.get_ohlc(pair, ctx.timeframe, self.lookback)
        except DataError as exc:
            log.warning("strategy %s skips %s %s: %s", self._id, pair, ctx.timeframe, exc)
            return None
        return closes_of([bar.close for bar in bars])

    def intent(
        self,
        ctx: StrategyContext,
        pair: str,
        intent_type: IntentType,
        *,
        confidence: float,
        metadata: Mapping[str, Any],
    ) -> StrategyIntent:
        """Build an unsized intent of this strategy (an exit is flat, anything else long)."""
        side: IntentSide = "flat" if intent_type == "exit" else "long"
        return StrategyIntent(
            strategy_id=self._id,
            pair=pair,
            side=side,
            intent_type=intent_type,
            desired_exposure_usd=None,
            confidence=min(1.0, max(0.0, confidence)),
            timeframe=ctx.timeframe,
            generated_at=ctx.now,
            metadata=metadata,
        )
