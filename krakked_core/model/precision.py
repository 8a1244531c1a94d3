"""The one place money is rounded. Arithmetic everywhere else stays exact.

Rounding to a pair's tick and lot (what goes to the exchange) joins this module with the OMS.
"""

from decimal import (
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    localcontext,
)

# Internal precision for derived quantities such as a share of a position's cost.
INTERNAL_QUANTUM = Decimal("1e-18")

# Digits for accounting arithmetic: enough that a cost basis of trillions keeps 1e-18 exactly.
ACCOUNTING_PRECISION = 60
# The context a derived basis is rounded in, passed to ``quantize`` rather than entered as a
# local context: a replay rounds tens of thousands of them, and entering one each time cost more
# than the rounding. (Its flags are never read; the traps are the default ones.)
_ACCOUNTING = Context(prec=ACCOUNTING_PRECISION)


def round_basis(value: Decimal) -> Decimal:
    """Round a derived cost basis (a share of a position's cost) to the internal quantum.

    The same rounded amount leaves the cost and enters realized PnL, so nothing is lost.
    """
    return value.quantize(INTERNAL_QUANTUM, rounding=ROUND_HALF_EVEN, context=_ACCOUNTING)


def decimal_text(value: Decimal) -> str:
    """Every significant digit of ``value``, no exponent, no trailing zeros: ``100``, ``-0.074``.

    Works on the string (not ``normalize()``), so no context precision can round a digit away.
    """
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def floor_internal(value: Decimal) -> Decimal:
    """Round a derived size down to the internal quantum, so it never exceeds what was allowed.

    Risk caps are upper bounds: rounding a clamped size up could break the cap it was cut to.
    """
    with localcontext(prec=ACCOUNTING_PRECISION):
        return value.quantize(INTERNAL_QUANTUM, rounding=ROUND_DOWN)


def to_step(value: Decimal, step: Decimal, *, up: bool = False) -> Decimal:
    """``value`` on a multiple of ``step`` (a pair's lot or tick), down unless ``up``.

    Volumes go down (never more than was allowed or held); a limit price goes toward the
    passive side (a buy's down, a sell's up), so slippage never exceeds what was allowed.
    """
    if step <= 0:
        raise ValueError(f"step must be positive (got {step})")
    with localcontext(prec=ACCOUNTING_PRECISION):
        steps = (value / step).to_integral_value(rounding=ROUND_CEILING if up else ROUND_FLOOR)
        return steps * step
