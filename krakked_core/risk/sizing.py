"""Volatility sizing (contract Phase 4 §5.2): ATR, per-unit risk, the size one trade may have.

ATR is the simple mean of the last ``lookback`` true ranges, where a bar's true range is
max(high - low, |high - previous close|, |low - previous close|), and the first bar of the
series (no previous close) counts high - low. Candle floats enter as their shortest decimal
text, so the arithmetic from there on is exact Decimal.
"""

from collections.abc import Sequence
from decimal import Decimal
from itertools import pairwise

from krakked_core.model.market import Bar
from krakked_core.model.precision import floor_internal


def average_true_range(bars: Sequence[Bar], lookback: int) -> Decimal | None:
    """Return the ATR of the last ``lookback`` bars, or None with fewer bars than that."""
    if lookback <= 0 or len(bars) < lookback:
        return None
    window = list(bars[-lookback - 1 :])
    ranges: list[Decimal] = []
    if len(window) == lookback:  # no bar before the window: the first range is high - low
        ranges.append(_d(window[0].high) - _d(window[0].low))
    for previous, bar in pairwise(window):
        high, low, close = _d(bar.high), _d(bar.low), _d(previous.close)
        ranges.append(max(high - low, abs(high - close), abs(low - close)))
    return sum(ranges, Decimal(0)) / lookback


def risk_sized_base(equity_usd: Decimal, risk_pct: Decimal, per_unit_risk: Decimal) -> Decimal:
    """Return the largest base size whose per-unit risk stays within ``risk_pct`` of equity."""
    if equity_usd <= 0 or per_unit_risk <= 0:
        return Decimal(0)
    return floor_internal(equity_usd * risk_pct / 100 / per_unit_risk)


def _d(value: float) -> Decimal:
    return Decimal(str(value))
