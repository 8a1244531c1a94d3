"""Exact quantities: every price, volume, fee and PnL is a Decimal that is finite.

Floats never become money here: Kraken sends numbers as strings and we keep them as strings
until they are Decimals, so no binary rounding sneaks in.
"""

from decimal import Decimal, InvalidOperation

Number = Decimal | int | str


def to_decimal(value: Number, *, field: str = "value") -> Decimal:
    """Parse a finite Decimal from Kraken's string (or an int); floats and NaN are refused."""
    if isinstance(value, bool | float):
        raise TypeError(f"{field}: money is never a float or bool (got {value!r})")
    try:
        result = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"{field}: not a number: {value!r}") from None
    if not result.is_finite():
        raise ValueError(f"{field}: not a finite number: {value!r}")
    return result


def non_negative(value: Number, *, field: str = "value") -> Decimal:
    """Parse and require >= 0 (volumes, balances, fees)."""
    result = to_decimal(value, field=field)
    if result < 0:
        raise ValueError(f"{field}: must not be negative (got {result})")
    return result


ZERO = Decimal(0)
