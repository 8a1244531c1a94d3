"""StrategyRunner (contract Phase 4 §4.2): the strategies that run on a candle close, their intents.

The runner holds the enabled strategies and their universes; each cycle it builds one
``StrategyContext`` per strategy using the timeframe and collects the intents, sorted by
(strategy id, pair) so a cycle's output never depends on dict or config order.
"""

from collections.abc import Mapping, Sequence
from datetime import datetime

from krakked_core.model.decisions import StrategyIntent
from krakked_core.model.market import Timeframe
from krakked_core.ports import CandleSource
from krakked_core.strategy.base import HeldPosition, Strategy, StrategyContext


class StrategyRunner:
    """The enabled strategies, asked in id order."""

    def __init__(self, strategies: Sequence[Strategy]) -> None:
        ids = [strategy.id for strategy in strategies]
        if len(set(ids)) != len(ids):
            raise ValueError(f"duplicate strategy ids: {sorted(ids)}")
        self._strategies = tuple(sorted(strategies, key=lambda strategy: strategy.id))

    @property
    def strategies(self) -> tuple[Strategy, ...]:
        return self._strategies

    def timeframes(self) -> frozenset[Timeframe]:
        """Return every timeframe some strategy decides on (what the candle sensor watches)."""
        return frozenset(tf for strategy in self._strategies for tf in strategy.timeframes)

    def strategies_for(self, timeframe: Timeframe) -> tuple[Strategy, ...]:
        """Return the strategies that decide on ``timeframe``'s closes, by id."""
        return tuple(s for s in self._strategies if timeframe in s.timeframes)

    def pairs_for(
        self, timeframe: Timeframe, universes: Mapping[str, tuple[str, ...]]
    ) -> tuple[str, ...]:
        """Return the sorted pairs whose ``timeframe`` candles some strategy reads."""
        return tuple(
            sorted(
                {
                    pair
                    for strategy in self.strategies_for(timeframe)
                    for pair in universes.get(strategy.id, ())
                }
            )
        )

    def generate(
        self,
        now: datetime,
        timeframe: Timeframe,
        candles: CandleSource,
        universes: Mapping[str, tuple[str, ...]],
        positions: Mapping[str, HeldPosition],
    ) -> list[StrategyIntent]:
        """Return every intent for the candle of ``timeframe`` that closed at ``now``.

        ``universes`` maps strategy id → its pairs (``strategy_universe``); a strategy without
        an entry sees no pairs. Intents for pairs outside a strategy's universe are dropped.
        """
        intents: list[StrategyIntent] = []
        for strategy in self.strategies_for(timeframe):
            universe = tuple(sorted(universes.get(strategy.id, ())))
            ctx = StrategyContext(
                now=now,
                timeframe=timeframe,
                universe=universe,
                market_data=candles,
                positions=positions,
            )
            allowed = set(universe)
            intents.extend(i for i in strategy.generate_intents(ctx) if i.pair in allowed)
        return sorted(intents, key=lambda intent: (intent.strategy_id, intent.pair))
