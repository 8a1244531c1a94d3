"""Unrealized PnL and positions from the books and current prices (contract §5.3, §6.2)."""

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from decimal import Decimal

from krakked_core.portfolio.assets import canonical_pair
from krakked_core.portfolio.attribution import Tagger
from krakked_core.portfolio.ledger import AssetBook, Ledger
from krakked_core.portfolio.models import MANUAL, Position
from krakked_core.portfolio.valuation import Prices

# Order txids of the trades in an asset at or after a moment (whose position it is).
OwnersOf = Callable[[str, datetime], list[str | None]]
# (pair, base, order txid, realized PnL) of a stored trade.
TradePnL = tuple[str, str, str | None, Decimal | None]


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


def positions(
    ledger: Ledger,
    prices: Prices,
    *,
    tracked: Callable[[str], bool],
    tag: Tagger,
    owners: OwnersOf,
) -> list[Position]:
    """Every tracked asset the books hold, valued now, tagged with the strategy that opened it."""
    result = []
    for asset, book in sorted(ledger.books.items()):
        if book.qty == 0 or not tracked(asset):
            continue
        pair = prices.pair_for(asset) or canonical_pair(asset, prices.base_currency)
        since = book.opened_at
        txids = owners(asset, since) if since else []
        result.append(
            position(
                asset,
                book,
                pair=pair,
                quote=prices.base_currency,
                price=prices.price(asset),
                # Every trade whose base is the asset, whatever it was quoted in.
                realized=ledger.realized_by_asset.get(asset, Decimal(0)),
                fees=ledger.fees_usd_by_asset.get(asset, Decimal(0)),
                strategy_tag=single_tag(tag(txid) for txid in txids) if txids else MANUAL,
            )
        )
    return result


def unrealized_total(held: Sequence[Position]) -> Decimal:
    return sum(
        (p.unrealized_pnl_base for p in held if p.unrealized_pnl_base is not None),
        Decimal(0),
    )


def realized_by_pair(
    trades: Iterable[TradePnL], counted: Callable[[str | None], bool]
) -> dict[str, Decimal]:
    """Realized PnL per pair of the trades whose order txid ``counted`` keeps."""
    return sum_by_pair((pair, pnl or Decimal(0)) for pair, _b, txid, pnl in trades if counted(txid))


def nonzero(values: dict[str, Decimal]) -> dict[str, Decimal]:
    return {key: value for key, value in sorted(values.items()) if value != 0}


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
