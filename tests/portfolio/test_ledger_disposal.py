"""A disposal computed the replay's way gives exactly what the plain formula gives: the same
values, and the same digits (a ``Decimal`` keeps its exponent, which the stored text shows)."""

from datetime import UTC, datetime
from decimal import Decimal, localcontext

from hypothesis import given, settings
from hypothesis import strategies as st

from krakked_core.model.precision import ACCOUNTING_PRECISION, round_basis
from krakked_core.portfolio.ledger import AssetBook, Disposal, Ledger

_T = datetime(2024, 1, 1, tzinfo=UTC)
_AMOUNTS = st.decimals(min_value=0, max_value=10**6, places=8, allow_nan=False)


def _plain(book: AssetBook, qty: Decimal, value: Decimal | None) -> Disposal:
    """The formula as first written (``min``, the ``based`` property), for comparison."""
    based = min(qty, book.based)
    basis = book.cost if based == book.based else round_basis(book.cost * based / book.based)
    from_unbased = min(qty - based, book.unbased)
    unexplained = qty - based - from_unbased
    gain = Decimal(0)
    if value is not None and based > 0:
        share = value if based == qty else round_basis(value * based / qty)
        gain = share - basis
    return Disposal(gain, basis, based, unexplained, from_unbased)


@settings(max_examples=400, deadline=None)
@given(
    held=_AMOUNTS,
    unbased=_AMOUNTS,
    cost=_AMOUNTS,
    qty=st.one_of(_AMOUNTS, st.sampled_from([Decimal("1.0"), Decimal("1.00"), Decimal(1)])),
    value=st.one_of(st.none(), _AMOUNTS),
    same=st.booleans(),
)
def test_dispose_when_any_book_then_exactly_the_plain_formula(
    held: Decimal,
    unbased: Decimal,
    cost: Decimal,
    qty: Decimal,
    value: Decimal | None,
    same: bool,
) -> None:
    if same:  # a disposal of exactly what is held (ties decide which operand is kept)
        qty = held
    book = AssetBook(qty=held + unbased, cost=cost, unbased=unbased)
    ledger = Ledger()
    ledger.books["XBT"] = AssetBook(qty=book.qty, cost=book.cost, unbased=book.unbased)

    with localcontext(prec=ACCOUNTING_PRECISION):
        expected = _plain(book, qty, value)
        got = ledger._dispose("XBT", qty, value, at=_T)

    assert got == expected
    assert [str(x) for x in got] == [str(x) for x in expected]
