"""trend_following on candles with known moving averages (fast 3, slow 6, SMA, strength ≥ 1 %)."""

import pytest

from tests.strategy.helpers import run

PARAMS = {"ma_fast": 3, "ma_slow": 6, "min_trend_strength_pct": 1.0}


def test_no_entry_while_the_fast_average_is_below_the_slow() -> None:
    assert run("trend_following", [110 - i for i in range(12)], **PARAMS) == []


def test_cross_weaker_than_the_minimum_strength_is_not_an_entry() -> None:
    # fast (100 + 100 + 106)/3 = 102, slow (5·100 + 106)/6 = 101: strength 0.99 % < 1 %.
    assert run("trend_following", [100] * 10 + [106], **PARAMS) == []


def test_cross_with_enough_strength_enters_long() -> None:
    # fast (100 + 106 + 106)/3 = 104, slow (4·100 + 2·106)/6 = 102: strength 1.96 %.
    [intent] = run("trend_following", [100] * 10 + [106, 106], **PARAMS)

    assert (intent.pair, intent.side, intent.intent_type) == ("XBTUSD", "long", "enter")
    assert intent.desired_exposure_usd is None
    assert intent.timeframe == "1h"
    assert intent.metadata["ma_fast"] == pytest.approx(104)
    assert intent.metadata["ma_slow"] == pytest.approx(102)
    assert intent.confidence == pytest.approx(1.9608 / 2, abs=1e-4)


def test_min_signal_confidence_filters_weak_entries() -> None:
    closes = [100] * 10 + [106, 106]
    assert run("trend_following", closes, min_signal_confidence=0.99, **PARAMS) == []


def test_held_position_exits_when_the_fast_average_falls_below() -> None:
    # fast (106 + 106 + 100)/3 = 104 < slow (5·106 + 100)/6 = 105.
    [intent] = run("trend_following", [106] * 10 + [100], held="1", **PARAMS)
    assert (intent.side, intent.intent_type) == ("flat", "exit")


def test_held_position_in_a_trend_emits_nothing() -> None:
    assert run("trend_following", [100] * 10 + [106, 106], held="1", **PARAMS) == []


def test_position_of_another_owner_is_not_this_strategys() -> None:
    closes = [106] * 10 + [100]
    assert run("trend_following", closes, held="1", owner="manual", **PARAMS) == []


def test_too_little_history_skips_the_pair() -> None:
    assert run("trend_following", [100, 101, 102], **PARAMS) == []
