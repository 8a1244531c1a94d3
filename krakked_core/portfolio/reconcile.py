"""Books vs exchange: balances rebuilt from the internal ledger against ``Balance``.

An asset whose difference is worth more than ``reconciliation_tolerance`` (USD), or that cannot
be priced and differs at all, is drift; so is any sale the books could not explain. The caller
stores the result; the next sync's result replaces it, so the flag clears when the two agree.
"""

import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal

from krakked_core.model.account import AccountBalances
from krakked_core.portfolio.assets import root
from krakked_core.portfolio.ledger import Ledger
from krakked_core.portfolio.models import AssetDiff, Reconciliation
from krakked_core.portfolio.valuation import root_sums

logger = logging.getLogger(__name__)

# Asset → USD price, or None when it has none.
PriceOf = Callable[[str], Decimal | None]


def reconcile_books(
    ledger: Ledger,
    balances: AccountBalances,
    *,
    unexplained_before: Mapping[str, Decimal],
    pending: Mapping[str, Decimal],
    price_of: PriceOf,
    tracked: Callable[[str], bool],
    tolerance: Decimal,
    at: datetime,
) -> Reconciliation:
    """The books after a sync against ``Balance``; ``pending``: what rows held back until their
    price is final did to balances (in ``Balance`` already, not yet in the books)."""
    newly_unexplained = {
        asset: qty - unexplained_before.get(asset, Decimal(0))
        for asset, qty in ledger.unexplained.items()
        if qty > unexplained_before.get(asset, Decimal(0))
    }
    exchange = {
        asset: sum(parts.values(), Decimal(0))
        for asset, parts in root_sums(balances.amounts, root).items()
        if tracked(asset)
    }
    books = {
        a: ledger.balances.get(a, Decimal(0)) + pending.get(a, Decimal(0))
        for a in {*ledger.balances, *pending}
        if tracked(a)
    }
    return reconcile(
        books,
        exchange,
        price_of=price_of,
        tolerance=tolerance,
        unexplained_sells=newly_unexplained,
        at=at,
    )


def reconcile(
    books: Mapping[str, Decimal],
    exchange: Mapping[str, Decimal],
    *,
    price_of: PriceOf,
    tolerance: Decimal,
    unexplained_sells: Mapping[str, Decimal],
    at: datetime,
) -> Reconciliation:
    """Compare per asset (suffix variants already summed into their asset)."""
    diffs: list[AssetDiff] = []
    small: list[AssetDiff] = []
    for asset in sorted(set(books) | set(exchange)):
        ours, theirs = books.get(asset, Decimal(0)), exchange.get(asset, Decimal(0))
        if ours == theirs:
            continue
        price = price_of(asset)
        value = abs(theirs - ours) * price if price is not None else None
        diff = AssetDiff(asset=asset, books=ours, exchange=theirs, value_usd=value)
        (diffs if value is None or value > tolerance else small).append(diff)
    # Many small differences can add up to more than the tolerance on total equity.
    if sum((d.value_usd or Decimal(0) for d in small), Decimal(0)) > tolerance:
        diffs = sorted([*diffs, *small], key=lambda d: d.asset)
    unexplained = {asset: qty for asset, qty in unexplained_sells.items() if qty > 0}
    result = Reconciliation(
        checked_at=at,
        drift_flag=bool(diffs or unexplained),
        diffs=tuple(diffs),
        unexplained_sells=dict(unexplained),
    )
    if result.drift_flag:
        logger.warning(
            "portfolio drift: books and exchange disagree on %s",
            ", ".join(
                f"{d.asset} books={d.books} exchange={d.exchange} diff={d.difference}"
                f" (~{d.value_usd if d.value_usd is not None else 'unpriced'} USD)"
                for d in diffs
            )
            or "no balance",
            extra={
                "diffs": {d.asset: str(d.difference) for d in diffs},
                "unexplained_sells": {k: str(v) for k, v in unexplained.items()},
            },
        )
    return result
