"""Money strings: every significant digit, no trailing-zero noise (one helper for every view)."""

from decimal import Decimal

import pytest

from krakked_core.model.precision import decimal_text
from krakked_core.portfolio.ledger import AssetBook
from krakked_core.portfolio.pnl import position
from krakked_core.portfolio.views import money, position_json
from tests.fakes.account import d


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("-0.074000000000000000", "-0.074"),
        ("100", "100"),
        ("1E+2", "100"),
        ("100.00", "100"),
        ("0E-18", "0"),
        ("-0.000", "0"),
        ("0.000000000000000001", "0.000000000000000001"),
        ("123456789012345678901234567890.123456789", "123456789012345678901234567890.123456789"),
    ],
)
def test_decimal_text_when_trailing_zeros_then_stripped_digits_kept(value: str, text: str) -> None:
    assert decimal_text(Decimal(value)) == text
    assert money(Decimal(value)) == text


def test_money_when_none_then_none() -> None:
    assert money(None) is None


def test_position_held_without_any_cost_basis_then_unrealized_null_not_zero() -> None:
    unbased = AssetBook(qty=d(3), unbased=d(3))
    mixed = AssetBook(qty=d(3), cost=d(200), unbased=d(2))  # 1 unit cost 200, 2 with no basis

    none_known = position(
        "SOL",
        unbased,
        pair="SOLUSD",
        quote="USD",
        price=d(250),
        realized=d(0),
        fees=d(0),
        strategy_tag=None,
    )
    some_known = position(
        "SOL",
        mixed,
        pair="SOLUSD",
        quote="USD",
        price=d(250),
        realized=d(0),
        fees=d(0),
        strategy_tag=None,
    )

    assert none_known.unrealized_pnl_base is None
    assert position_json(none_known)["unrealized_pnl_usd"] is None
    assert position_json(none_known)["value_usd"] == "750"
    assert some_known.unrealized_pnl_base == d(50)  # only the unit with a basis
