"""Books vs exchange: balances rebuilt from the internal ledger against ``Balance``.

An asset whose difference is worth more than ``reconciliation_tolerance`` (USD), or that cannot
be priced and differs at all, is drift; so is any sale the books could not explain. The caller
stores the result; the next sync's result replaces it, so the flag clears when the two agree.
"""

import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal

from krakked_core.portfolio.models import AssetDiff, Reconciliation

logger = logging.getLogger(__name__)

# Asset → USD price, or None when it has none.
PriceOf = Callable[[str], Decimal | None]


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
