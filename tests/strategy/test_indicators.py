"""Indicators match their standard definitions (pandas for SMA/EMA/σ, Wilder's loop for RSI)."""

import itertools
import math

import numpy as np
import pandas as pd

from krakked_core.strategy.indicators import (
    bollinger,
    closes_of,
    crossed_above,
    crossed_below,
    ema,
    rsi,
    sma,
)

SERIES = closes_of(
    [
        44.34,
        44.09,
        44.15,
        43.61,
        44.33,
        44.83,
        45.10,
        45.42,
        45.84,
        46.08,
        45.89,
        46.03,
        45.61,
        46.28,
        46.28,
        46.00,
        46.03,
        46.41,
        46.22,
        45.64,
        46.21,
        46.25,
        45.71,
        46.45,
        45.78,
        45.35,
        44.03,
        44.18,
        44.22,
        44.57,
        43.42,
        42.66,
        43.13,
    ]
)


def _wilder_rsi(values: list[float], period: int) -> list[float]:
    """RSI written out as Wilder (and TA-Lib) define it, one step at a time."""
    changes = [b - a for a, b in itertools.pairwise(values)]
    gain = sum(max(c, 0) for c in changes[:period]) / period
    loss = sum(max(-c, 0) for c in changes[:period]) / period
    out = [math.nan] * period + [100 - 100 / (1 + gain / loss)]
    for change in changes[period:]:
        gain = (gain * (period - 1) + max(change, 0)) / period
        loss = (loss * (period - 1) + max(-change, 0)) / period
        out.append(100 - 100 / (1 + gain / loss))
    return out


def test_sma_matches_pandas_rolling_mean() -> None:
    expected = pd.Series(SERIES).rolling(5).mean().to_numpy()
    np.testing.assert_allclose(sma(SERIES, 5), expected, equal_nan=True)


def test_ema_matches_pandas_ewm_span_adjust_false() -> None:
    for period in (12, 26):
        expected = pd.Series(SERIES).ewm(span=period, adjust=False).mean().to_numpy()
        np.testing.assert_allclose(ema(SERIES, period), expected)


def test_ema_is_seeded_with_the_first_value() -> None:
    # alpha = 2/(3+1) = 0.5: 10, then 0.5·20 + 0.5·10 = 15, then 0.5·30 + 0.5·15 = 22.5.
    np.testing.assert_allclose(ema(closes_of([10, 20, 30]), 3), [10, 15, 22.5])


def test_rsi_is_wilders() -> None:
    expected = _wilder_rsi(list(SERIES), 14)
    np.testing.assert_allclose(rsi(SERIES, 14), expected, equal_nan=True)


def test_rsi_by_hand() -> None:
    # Changes 1, 1, -1, 1 with n = 2: seed gain (1+1)/2 = 1, loss 0 → 100; then gain
    # (1·1 + 0)/2 = 0.5, loss (0 + 1)/2 = 0.5 → 50; then gain 0.75, loss 0.25, RS 3 → 75.
    np.testing.assert_allclose(rsi(closes_of([1, 2, 3, 2, 3]), 2)[2:], [100, 50, 75])


def test_rsi_is_100_without_losses_and_undefined_before_the_period() -> None:
    values = rsi(closes_of([1, 2, 3, 4, 5, 6]), 3)
    assert np.isnan(values[:3]).all()
    np.testing.assert_allclose(values[3:], [100, 100, 100])


def test_bollinger_uses_the_population_standard_deviation() -> None:
    lower, upper = bollinger(SERIES, 20, 2.0)
    rolling = pd.Series(SERIES).rolling(20)
    np.testing.assert_allclose(
        lower, (rolling.mean() - 2 * rolling.std(ddof=0)).to_numpy(), equal_nan=True
    )
    np.testing.assert_allclose(
        upper, (rolling.mean() + 2 * rolling.std(ddof=0)).to_numpy(), equal_nan=True
    )


def test_crosses_are_strict_on_both_bars() -> None:
    a, b = closes_of([1, 3]), closes_of([2, 2])
    assert crossed_above(a, b) and not crossed_below(a, b)
    assert crossed_below(b, a)
    touching = closes_of([2, 3])  # equal on the previous bar is not a cross (qtpylib)
    assert not crossed_above(touching, b)
