"""ATR sizing (contract Phase 4 §5.2, §9.2): numbers worked by hand in each test."""

from decimal import Decimal

from krakked_core.model.market import Bar
from krakked_core.risk.sizing import average_true_range, risk_sized_base
from tests.fakes.candles import T0, flat_bars
from tests.fakes.risk import context, engine, intent


def _bar(time: int, high: float, low: float, close: float) -> Bar:
    return Bar(
        time=time, open=close, high=high, low=low, close=close, vwap=close, volume=1, count=1
    )


def test_atr_is_the_simple_mean_of_true_ranges_including_gaps_from_the_previous_close() -> None:
    bars = [
        _bar(0, 105, 95, 100),  # before the window: only its close matters
        _bar(1, 110, 104, 108),  # TR = max(6, |110-100|, |104-100|) = 10
        _bar(2, 109, 101, 102),  # TR = max(8, 1, 7) = 8
        _bar(3, 103, 90, 91),  # TR = max(13, 1, 12) = 13
    ]
    assert average_true_range(bars, 3) == Decimal("31") / 3


def test_atr_with_exactly_lookback_bars_counts_the_first_range_as_high_minus_low() -> None:
    bars = [_bar(0, 105, 95, 100), _bar(1, 110, 104, 108)]  # 10, then max(6, 10, 4) = 10
    assert average_true_range(bars, 2) == Decimal(10)


def test_atr_needs_lookback_bars() -> None:
    assert average_true_range(flat_bars(19, close=100, true_range=2, end=T0), 20) is None


def test_size_is_equity_times_risk_pct_over_per_unit_risk() -> None:
    # 100 000 × 1 % = 1 000 at risk; ATR 500 × 2 = 1 000 per unit → 1 unit.
    assert risk_sized_base(Decimal(100_000), Decimal(1), Decimal(1000)) == Decimal(1)


def test_unsized_entry_gets_one_unit_at_equity_100k_atr_500_multiple_2() -> None:
    [action] = engine().evaluate([intent()], context(atr=500.0))

    assert action.action_type == "open"
    assert action.target_base_size == Decimal(1)
    assert action.target_notional_usd == Decimal(20_000)
    assert not action.blocked and not action.clamped


def test_stop_atr_multiple_of_the_strategy_scales_the_size() -> None:
    # ATR 500 × 4 = 2 000 per unit → 1 000 / 2 000 = 0.5 unit.
    risk = engine(strategies={"trend": {"stop_atr_multiple": 4}})
    [action] = risk.evaluate([intent()], context(atr=500.0))
    assert action.target_base_size == Decimal("0.5")


def test_desired_exposure_above_the_per_trade_risk_is_clamped() -> None:
    # Wants $60 000 = 3 units; 1 % risk allows 1 unit (1 000 / 1 000).
    [action] = engine().evaluate([intent(desired="60000")], context())

    assert action.target_base_size == Decimal(1)
    assert action.clamped and not action.blocked
    assert action.blocked_reasons == ("max_risk_per_trade_pct",)


def test_desired_exposure_within_the_per_trade_risk_is_kept() -> None:
    [action] = engine().evaluate([intent(desired="10000")], context())
    assert action.target_base_size == Decimal("0.5")
    assert not action.clamped


def test_entry_without_enough_bars_for_atr_is_blocked_as_data_stale() -> None:
    ctx = context(bars={"XBTUSD": flat_bars(5, close=20000, true_range=500, end=T0)})
    [action] = engine().evaluate([intent()], ctx)

    assert action.blocked and action.blocked_reasons == ("data_stale",)
    assert action.target_base_size == action.current_base_size == 0
    assert "ATR" in action.reason
