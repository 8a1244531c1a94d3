"""The one place money is rounded: to a pair's tick and lot, or to a currency's reporting unit.

Arithmetic everywhere else stays exact; only what goes to the exchange or to a report passes
through here.
"""

from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_UP, Decimal, localcontext

from krakked_core.model.pairs import PairMetadata

# Reporting precision of the base currency (USD cents); internal sums keep every digit.
USD_QUANTUM = Decimal("0.01")
# Internal precision for derived quantities such as a weighted average cost.
INTERNAL_QUANTUM = Decimal("1e-18")


def price_step(pair: PairMetadata) -> Decimal:
    step = Decimal(1).scaleb(-pair.price_decimals)
    return max(step, pair.tick_size) if pair.tick_size is not None else step


def round_price(pair: PairMetadata, price: Decimal, *, side: str) -> Decimal:
    """Round a limit price to the pair's tick, never in the trader's disfavour.

    A buy rounds down (never pays more than asked), a sell rounds up.
    """
    step = price_step(pair)
    rounding = ROUND_DOWN if side == "buy" else ROUND_UP
    return (price / step).to_integral_value(rounding=rounding) * step


def round_volume(pair: PairMetadata, volume: Decimal) -> Decimal:
    """Round a base volume down to the pair's lot: never order more than was sized."""
    step = max(pair.lot_size, Decimal(1).scaleb(-pair.volume_decimals))
    return (volume / step).to_integral_value(rounding=ROUND_DOWN) * step


def round_usd(value: Decimal) -> Decimal:
    """Round a USD amount to cents for display and API output (banker's rounding)."""
    return value.quantize(USD_QUANTUM, rounding=ROUND_HALF_EVEN)


def round_internal(value: Decimal) -> Decimal:
    """Bound the digits of a derived quantity (e.g. an average price) without visible loss."""
    return value.quantize(INTERNAL_QUANTUM, rounding=ROUND_HALF_EVEN)


# Digits for accounting arithmetic: enough that a cost basis of trillions keeps 1e-18 exactly.
ACCOUNTING_PRECISION = 60


def round_basis(value: Decimal) -> Decimal:
    """Round a derived cost basis (a share of a position's cost) to the internal quantum.

    The same rounded amount leaves the cost and enters realized PnL, so nothing is lost.
    """
    with localcontext(prec=ACCOUNTING_PRECISION):
        return value.quantize(INTERNAL_QUANTUM, rounding=ROUND_HALF_EVEN)


def decimal_text(value: Decimal) -> str:
    """Every significant digit of ``value``, no exponent, no trailing zeros: ``100``, ``-0.074``.

    Works on the string (not ``normalize()``), so no context precision can round a digit away.
    """
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text
