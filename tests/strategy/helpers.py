"""Run one bundled strategy on synthetic closes of one pair."""

from decimal import Decimal
from typing import Any

from krakked_core.config import StrategyConfig
from krakked_core.model.decisions import StrategyIntent
from krakked_core.strategy.base import HeldPosition, StrategyContext
from krakked_core.strategy.registry import build_strategy
from tests.fakes.candles import FakeCandles, bars_from_closes
from tests.fakes.risk import NOW

PAIR = "XBTUSD"


def strategy_config(kind: str, **params: Any) -> StrategyConfig:
    return StrategyConfig.model_validate({"type": kind, **params})


def run(
    kind: str,
    closes: list[float],
    *,
    held: str | None = None,
    entry: str | None = None,
    owner: str = "s",
    **params: Any,
) -> list[StrategyIntent]:
    """Return the intents strategy ``s`` of ``kind`` emits after the last of ``closes``."""
    strategy = build_strategy("s", strategy_config(kind, **params))
    positions = {}
    if held is not None:
        price = None if entry is None else Decimal(entry)
        positions[PAIR] = HeldPosition(PAIR, Decimal(held), price, owner)
    ctx = StrategyContext(
        now=NOW,
        timeframe="1h",
        universe=(PAIR,),
        market_data=FakeCandles({(PAIR, "1h"): bars_from_closes(closes)}),
        positions=positions,
    )
    return strategy.generate_intents(ctx)
