"""Vectorized indicators over closes (numpy arrays in, numpy arrays out, NaN where undefined).

Standard definitions, so another engine (Freqtrade with TA-Lib, pandas) reproduces every value:

- SMA(n): the mean of the last n values.
- EMA(n): alpha = 2/(n+1), ``adjust=False``, seeded with the first value (pandas'
  ``ewm(span=n, adjust=False)``): ema[0] = x[0], ema[t] = alpha·x[t] + (1-alpha)·ema[t-1].
  The seed's weight decays as (1-alpha)^t, so strategies read many more bars than n.
- RSI(n): Wilder's smoothing as TA-Lib computes it: the first average gain/loss is the simple
  mean of the first n changes, then avg[t] = (avg[t-1]·(n-1) + change[t]) / n; RSI = 100 when
  the average loss is 0. Undefined (NaN) for the first n values.
- Bollinger(n, k): SMA(n) ± k × the population standard deviation (ddof=0) of the last n values.
- Crosses as Freqtrade's qtpylib: ``crossed_above(a, b)`` at t means a[t] > b[t] and
  a[t-1] < b[t-1] (strict on both sides).
"""

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt
import polars as pl

FloatArray = npt.NDArray[np.float64]
# A strategy's indicator series by name ("close" included), all of one length, oldest first.
Indicators = Mapping[str, FloatArray]


def closes_of(values: list[float]) -> FloatArray:
    """Return ``values`` as a float array."""
    return np.asarray(values, dtype=np.float64)


def sma(values: FloatArray, period: int) -> FloatArray:
    """Return the simple moving average; NaN before ``period`` values exist."""
    return _to_array(pl.Series(values).rolling_mean(period))


def ema(values: FloatArray, period: int) -> FloatArray:
    """Return the exponential moving average (alpha 2/(n+1), adjust=False, first-value seed)."""
    return _to_array(pl.Series(values).ewm_mean(alpha=2.0 / (period + 1), adjust=False))


def rsi(values: FloatArray, period: int) -> FloatArray:
    """Return Wilder's RSI (TA-Lib's definition); NaN for the first ``period`` values."""
    out = np.full(len(values), np.nan)
    if len(values) <= period:
        return out
    changes = np.diff(values)
    gains = np.clip(changes, 0.0, None)
    losses = np.clip(-changes, 0.0, None)
    avg_gain = _wilder(gains, period)
    avg_loss = _wilder(losses, period)
    with np.errstate(divide="ignore", invalid="ignore"):
        rs = avg_gain / avg_loss
        values_rsi = np.where(avg_loss == 0.0, 100.0, 100.0 - 100.0 / (1.0 + rs))
    out[period:] = values_rsi
    return out


def bollinger(values: FloatArray, period: int, k: float) -> tuple[FloatArray, FloatArray]:
    """Return the (lower, upper) Bollinger bands around SMA(period)."""
    mean = sma(values, period)
    std = _to_array(pl.Series(values).rolling_std(period, ddof=0))
    return mean - k * std, mean + k * std


def crossed_above(a: FloatArray, b: FloatArray) -> bool:
    """Return whether ``a`` crossed above ``b`` on the last value (qtpylib's definition)."""
    return bool(len(a) >= 2 and a[-1] > b[-1] and a[-2] < b[-2])


def crossed_below(a: FloatArray, b: FloatArray) -> bool:
    """Return whether ``a`` crossed below ``b`` on the last value (qtpylib's definition)."""
    return crossed_above(b, a)


def _wilder(changes: FloatArray, period: int) -> FloatArray:
    """Wilder's average of ``changes`` from the ``period``-th on: SMA seed, then alpha 1/n."""
    seeded = np.concatenate(([changes[:period].mean()], changes[period:]))
    return _to_array(pl.Series(seeded).ewm_mean(alpha=1.0 / period, adjust=False))


def _to_array(series: pl.Series) -> FloatArray:
    return series.cast(pl.Float64).fill_null(np.nan).to_numpy().astype(np.float64)
