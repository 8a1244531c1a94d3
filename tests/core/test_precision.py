from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from krakked_core.model.precision import to_step


@pytest.mark.parametrize(
    ("value", "step", "up", "expected"),
    [
        (Decimal("1.23456789"), Decimal("0.0001"), False, Decimal("1.2345")),
        (Decimal("1.23456789"), Decimal("0.0001"), True, Decimal("1.2346")),
        (Decimal("1.2345"), Decimal("0.0001"), True, Decimal("1.2345")),
        (Decimal("37512.7"), Decimal("0.5"), False, Decimal("37512.5")),
        (Decimal("37512.7"), Decimal("0.5"), True, Decimal("37513.0")),
        (Decimal("17"), Decimal("5"), False, Decimal("15")),
        (Decimal("0.00000004"), Decimal("0.00000001"), False, Decimal("0.00000004")),
    ],
)
def test_values_land_on_the_step(
    value: Decimal, step: Decimal, up: bool, expected: Decimal
) -> None:
    assert to_step(value, step, up=up) == expected


def test_a_step_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        to_step(Decimal(1), Decimal(0))


@given(
    st.decimals(min_value=0, max_value=10**9, places=10, allow_nan=False, allow_infinity=False),
    st.sampled_from([Decimal("1"), Decimal("0.1"), Decimal("0.00000001"), Decimal("0.25")]),
)
def test_down_never_exceeds_and_up_never_falls_short(value: Decimal, step: Decimal) -> None:
    down, up = to_step(value, step), to_step(value, step, up=True)
    assert down <= value <= up
    assert up - down in (Decimal(0), step)
    assert (down / step) % 1 == 0
