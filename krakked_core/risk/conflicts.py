"""Conflict policy: which intent of a strategy counts for a pair, and how strategies combine.

1. One intent per (strategy, pair): when a strategy sends several (e.g. from two timeframes),
   the most conservative wins: exit < reduce < hold < enter/increase, then the smaller
   desired exposure, then timeframe and confidence, so the choice never depends on arrival order.
2. Strategies combine by aggregation: each strategy's target applies to the units it owns, the
   units of every other owner (manual included) stay as they are, and the pair's target is the
   sum. A strategy exiting never sells what another strategy or the operator holds.
"""

from collections.abc import Iterable
from decimal import Decimal

from krakked_core.model.decisions import StrategyIntent

_RANK = {"exit": 0, "reduce": 1, "hold": 2, "enter": 3, "increase": 3}
_UNSIZED = Decimal("Infinity")


def _conservative_key(intent: StrategyIntent) -> tuple[int, Decimal, str, float, str]:
    rank = 0 if intent.side == "flat" else _RANK[intent.intent_type]
    exposure = _UNSIZED if intent.desired_exposure_usd is None else intent.desired_exposure_usd
    return (rank, exposure, intent.timeframe, intent.confidence, intent.intent_type)


def select_intents(intents: Iterable[StrategyIntent]) -> dict[tuple[str, str], StrategyIntent]:
    """Return the intent that counts per (pair, strategy id), keys sorted."""
    chosen: dict[tuple[str, str], StrategyIntent] = {}
    for intent in intents:
        key = (intent.pair, intent.strategy_id)
        if key not in chosen or _conservative_key(intent) < _conservative_key(chosen[key]):
            chosen[key] = intent
    return dict(sorted(chosen.items()))


def wants_to_add(intent: StrategyIntent) -> bool:
    """Return whether the intent asks for more of the pair (enter/increase, long)."""
    return intent.side == "long" and intent.intent_type in ("enter", "increase")


def reduced_target(intent: StrategyIntent, owned: Decimal, price: Decimal | None) -> Decimal:
    """Return the strategy's target for an intent that keeps or lowers what it owns.

    ``exit`` (or side flat) → 0; ``hold`` → unchanged; ``reduce`` → the desired exposure when
    given (never above what is owned), else half of what is owned.
    """
    if intent.side == "flat" or intent.intent_type == "exit":
        return Decimal(0)
    if intent.intent_type == "hold":
        return owned
    if intent.desired_exposure_usd is not None and price is not None and price > 0:
        return min(owned, intent.desired_exposure_usd / price)
    return owned / 2
