from decimal import Decimal

from krakked_core.portfolio.reconcile import reconcile
from tests.fakes.account import at, d

PRICES = {"USD": d(1), "XBT": d(30000), "ETH": d(2000)}


def _run(books, exchange, unexplained=None, tolerance="1"):
    return reconcile(
        books,
        exchange,
        price_of=PRICES.get,
        tolerance=d(tolerance),
        unexplained_sells=unexplained or {},
        at=at(0),
    )


def test_books_match_exchange_then_no_drift() -> None:
    result = _run({"USD": d(10), "XBT": d(1)}, {"USD": d(10), "XBT": d(1)})
    assert result.drift_flag is False and result.diffs == ()


def test_extra_btc_on_exchange_then_drift_names_asset_and_difference() -> None:
    result = _run({"XBT": d(1)}, {"XBT": d("1.01")})

    assert result.drift_flag is True
    (diff,) = result.diffs
    assert (diff.asset, diff.difference, diff.value_usd) == ("XBT", d("0.01"), d(300))


def test_unpriced_asset_differs_then_drift_even_if_tiny() -> None:
    result = _run({"FOO": d(1)}, {"FOO": d("1.0001")})
    assert result.drift_flag is True and result.diffs[0].value_usd is None


def test_small_differences_adding_up_past_tolerance_then_drift_on_total() -> None:
    within = _run({"USD": d(10), "ETH": d(1)}, {"USD": d("10.6"), "ETH": d("1.0002")})
    beyond = _run({"USD": d(10), "ETH": d(1)}, {"USD": d("10.6"), "ETH": d("1.0003")})

    assert within.drift_flag is False  # 0.6 + 0.4
    assert beyond.drift_flag is True and beyond.drift_assets == ("ETH", "USD")  # 0.6 + 0.6


def test_unexplained_sale_then_drift_names_asset() -> None:
    result = _run({"XBT": d(0)}, {"XBT": d(0)}, unexplained={"XBT": Decimal("0.5")})
    assert result.drift_flag is True and result.drift_assets == ("XBT",)
