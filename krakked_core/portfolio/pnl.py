"""Unrealized PnL and positions from the books and current prices (contract §5.3, §6.2)."""

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal

from krakked_core.portfolio.ledger import AssetBook
from krakked_core.portfolio.models import Position

RootOf = Callable[[str], str]


def unrealized(book: AssetBook, price: Decimal | None) -> Decimal | None:
    """``(price − avg cost) × units with a basis``; None when unknown.

    Unknown means no price, or no unit held has a known cost (all arrived unvalued): saying 0
    there would claim a flat position. Mixed holdings count only the units with a basis; the
    rest are reported as ``unbased_size`` and never make PnL.
    """
    if price is None or book.based <= 0:
        return None
    return price * book.based - book.cost


def position(
    asset: str,
    book: AssetBook,
    *,
    pair: str,
    quote: str,
    price: Decimal | None,
    realized: Decimal,
    fees: Decimal,
    strategy_tag: str | None,
) -> Position:
    return Position(
        pair=pair,
        base_asset=asset,
        quote_asset=quote,
        base_size=book.qty,
        avg_entry_price=book.avg_cost,
        realized_pnl_base=realized,
        fees_paid_base=fees,
        current_price=price,
        current_value_base=book.qty * price if price is not None else None,
        unrealized_pnl_base=unrealized(book, price),
        unbased_size=book.unbased,
        strategy_tag=strategy_tag,
    )


def sum_by_pair(items: Iterable[tuple[str, Decimal]]) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for pair, value in items:
        totals[pair] = totals.get(pair, Decimal(0)) + value
    return totals


def single_tag(tags: Iterable[str]) -> str | None:
    """The one strategy behind a position, or None when several traded it."""
    distinct = set(tags)
    return distinct.pop() if len(distinct) == 1 else None


def percentage(value: Decimal | None, total: Decimal | None) -> Decimal | None:
    if value is None or total is None or total == 0:
        return None
    return value * 100 / total


def root_sums(amounts: Mapping[str, Decimal], root_of: RootOf) -> dict[str, dict[str, Decimal]]:
    """Group balances by asset: ``{"XBT": {"XBT": 1, "XBT.F": 0.5}}``."""
    grouped: dict[str, dict[str, Decimal]] = {}
    for code, amount in amounts.items():
        grouped.setdefault(root_of(code), {})[code] = amount
    return grouped
