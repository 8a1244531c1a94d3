"""Money strings: every significant digit, no trailing-zero noise (one helper for every view)."""

from decimal import Decimal

import pytest

from krakked_core.model.precision import decimal_text
from krakked_core.portfolio.views import money


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
