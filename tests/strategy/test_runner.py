"""StrategyRunner (contract Phase 4 §9.1): timeframes, universes, deterministic intents."""

from decimal import Decimal

from krakked_core.config import StrategyConfig
from krakked_core.model.decisions import StrategyIntent
from krakked_core.strategy.base import HeldPosition, Strategy, StrategyContext
from krakked_core.strategy.indicators import FloatArray
from krakked_core.strategy.runner import StrategyRunner
from tests.fakes.candles import FakeCandles, bars_from_closes
from tests.fakes.risk import NOW


class BuyRising(Strategy):
    """Enter a pair whose last close is above the one before; exit its own holdings."""

    @property
    def lookback(self) -> int:
        return 2

    def decide(self, ctx: StrategyContext, pair: str, closes: FloatArray) -> StrategyIntent | None:
        if ctx.held_by(self.id, pair) is not None:
            return self.intent(ctx, pair, "exit", confidence=1.0, metadata={})
        if closes[-1] > closes[-2]:
            return self.intent(ctx, pair, "enter", confidence=0.8, metadata={"last": closes[-1]})
        return None


def _strategy(strategy_id: str, *timeframes: str) -> BuyRising:
    config = StrategyConfig.model_validate({"type": "test", "timeframes": list(timeframes)})
    return BuyRising(strategy_id, config)


CANDLES = FakeCandles(
    {
        (pair, tf): bars_from_closes(closes, timeframe=tf)
        for pair, closes in {"XBTUSD": [1, 2], "ETHUSD": [2, 3], "SOLUSD": [3, 1]}.items()
        for tf in ("1h", "4h")
    }
)


def test_dummy_strategy_gives_the_expected_intents_for_a_fixed_context() -> None:
    runner = StrategyRunner([_strategy("a", "1h")])
    intents = runner.generate(NOW, "1h", CANDLES, {"a": ("XBTUSD", "SOLUSD")}, {})

    assert intents == [
        StrategyIntent(
            strategy_id="a",
            pair="XBTUSD",
            side="long",
            intent_type="enter",
            desired_exposure_usd=None,
            confidence=0.8,
            timeframe="1h",
            generated_at=NOW,
            metadata={"last": 2.0},
        )
    ]


def test_only_strategies_of_the_closed_timeframe_run() -> None:
    runner = StrategyRunner(
        [_strategy("a", "1h"), _strategy("b", "4h", "1h"), _strategy("c", "4h")]
    )
    universes = dict.fromkeys("abc", ("XBTUSD",))

    assert runner.timeframes() == frozenset({"1h", "4h"})
    assert [i.strategy_id for i in runner.generate(NOW, "4h", CANDLES, universes, {})] == ["b", "c"]


def test_strategies_see_only_their_universe() -> None:
    runner = StrategyRunner([_strategy("a", "1h"), _strategy("b", "1h")])
    universes = {"a": ("XBTUSD",), "b": ("ETHUSD", "SOLUSD")}
    intents = runner.generate(NOW, "1h", CANDLES, universes, {})

    assert [(i.strategy_id, i.pair) for i in intents] == [("a", "XBTUSD"), ("b", "ETHUSD")]
    assert runner.pairs_for("1h", universes) == ("ETHUSD", "SOLUSD", "XBTUSD")
    assert {pair for pair, _, _ in CANDLES.requests} <= {"XBTUSD", "ETHUSD", "SOLUSD"}


def test_intents_are_sorted_whatever_the_construction_order() -> None:
    universes = {"a": ("XBTUSD", "ETHUSD"), "b": ("ETHUSD", "XBTUSD")}
    one = StrategyRunner([_strategy("b", "1h"), _strategy("a", "1h")])
    other = StrategyRunner([_strategy("a", "1h"), _strategy("b", "1h")])
    intents = one.generate(NOW, "1h", CANDLES, universes, {})

    assert intents == other.generate(NOW, "1h", CANDLES, universes, {})
    assert [(i.strategy_id, i.pair) for i in intents] == [
        ("a", "ETHUSD"),
        ("a", "XBTUSD"),
        ("b", "ETHUSD"),
        ("b", "XBTUSD"),
    ]


def test_strategy_holding_a_pair_exits_it() -> None:
    held = {"SOLUSD": HeldPosition("SOLUSD", Decimal(1), Decimal(3), "a")}
    [intent] = StrategyRunner([_strategy("a", "1h")]).generate(
        NOW, "1h", CANDLES, {"a": ("SOLUSD",)}, held
    )
    assert (intent.pair, intent.intent_type, intent.side) == ("SOLUSD", "exit", "flat")


def test_pair_without_data_is_skipped_not_fatal() -> None:
    runner = StrategyRunner([_strategy("a", "1h")])
    intents = runner.generate(NOW, "1h", CANDLES, {"a": ("DOGEUSD", "XBTUSD")}, {})
    assert [i.pair for i in intents] == ["XBTUSD"]
