"""ema_cross_rsi: the cross bar is found independently with pandas, then the strategy must agree."""

import pandas as pd

from tests.strategy.helpers import run

DOWN_UP = [100.0 - i for i in range(20)] + [81.0 + 2 * i for i in range(1, 12)]
UP_DOWN = [100.0 + i for i in range(20)] + [119.0 - 2 * i for i in range(1, 12)]
PARAMS = {"ema_fast": 3, "ema_slow": 6, "rsi_period": 3}


def _first_cross(closes: list[float], up: bool) -> int:
    """Index of the first bar where EMA(3) crosses EMA(6) (qtpylib: strict both bars)."""
    s = pd.Series(closes)
    fast = s.ewm(span=3, adjust=False).mean()
    slow = s.ewm(span=6, adjust=False).mean()
    above = fast > slow if up else fast < slow
    below = fast < slow if up else fast > slow
    crosses = above & below.shift(1, fill_value=False)
    return int(crosses.idxmax())


def _run(closes: list[float], **kwargs: object) -> list:
    return run("ema_cross_rsi", closes, history_bars=len(closes), **PARAMS, **kwargs)


def test_entry_on_the_cross_bar_and_not_before() -> None:
    k = _first_cross(DOWN_UP, up=True)
    assert _run(DOWN_UP[:k], rsi_max=100) == []
    [intent] = _run(DOWN_UP[: k + 1], rsi_max=100)
    assert (intent.side, intent.intent_type) == ("long", "enter")


def test_no_entry_on_the_bar_after_the_cross() -> None:
    k = _first_cross(DOWN_UP, up=True)
    assert _run(DOWN_UP[: k + 2], rsi_max=100) == []


def test_rsi_at_or_above_the_limit_vetoes_the_entry() -> None:
    k = _first_cross(DOWN_UP, up=True)
    assert _run(DOWN_UP[: k + 1], rsi_max=1) == []


def test_held_position_exits_on_the_cross_back_down() -> None:
    k = _first_cross(UP_DOWN, up=False)
    assert _run(UP_DOWN[:k], held="1") == []
    [intent] = _run(UP_DOWN[: k + 1], held="1")
    assert intent.intent_type == "exit" and intent.metadata["exit"] == "ema_cross_down"


def test_roi_exit_when_the_close_is_roi_pct_above_the_entry() -> None:
    closes = [100.0] * 30 + [110.0]
    [intent] = _run(closes, held="1", entry="100", roi_pct="10")
    assert intent.metadata["exit"] == "roi"
    assert _run(closes, held="1", entry="100.01", roi_pct="10") == []


def test_stop_exit_when_the_close_is_stop_pct_below_the_entry() -> None:
    closes = [100.0] * 30 + [95.0]
    [intent] = _run(closes, held="1", entry="100", stop_pct="5")
    assert intent.metadata["exit"] == "stop"
    assert _run(closes, held="1", entry="99.99", stop_pct="5") == []


def test_no_roi_or_stop_without_an_entry_price() -> None:
    assert _run([100.0] * 30 + [200.0], held="1", roi_pct="10") == []
