"""mean_reversion: entry below the band, exit at the mean."""

from tests.strategy.helpers import run


def test_close_below_the_lower_bollinger_band_enters() -> None:
    # 19 closes at 100 then 90: mean 99.5, σ = 10·√19/20 ≈ 2.18, lower ≈ 95.14 > 90.
    [intent] = run("mean_reversion", [100] * 19 + [90])
    assert (intent.side, intent.intent_type) == ("long", "enter")
    assert intent.metadata["mean"] == 99.5


def test_close_inside_the_bands_does_nothing() -> None:
    assert run("mean_reversion", [100, 101] * 10) == []


def test_held_position_exits_at_the_mean() -> None:
    # mean of 19 × 100 and 101 is 100.05; the close 101 is above it.
    [intent] = run("mean_reversion", [100] * 19 + [101], held="1")
    assert intent.intent_type == "exit"


def test_held_position_below_the_mean_is_kept() -> None:
    assert run("mean_reversion", [100] * 19 + [90], held="1") == []


def test_rsi_band_enters_when_rsi_is_below_the_entry_level() -> None:
    closes = [100, 101] * 16 + [95, 90, 85]
    [intent] = run("mean_reversion", closes, band="rsi", rsi_period=3, rsi_entry=30)
    assert intent.intent_type == "enter" and intent.metadata["band"] == "rsi"


def test_rsi_band_waits_while_rsi_is_above_the_entry_level() -> None:
    assert run("mean_reversion", [100, 101] * 17, band="rsi", rsi_period=3) == []
