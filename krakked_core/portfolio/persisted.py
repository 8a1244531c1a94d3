"""The JSON documents the service keeps in ``portfolio_state``: balances and reconciliation.

Decimals travel as strings and times as ISO 8601 UTC, so nothing is rounded on the way.
"""

from datetime import datetime
from decimal import Decimal
from typing import Any

from krakked_core.model.account import AccountBalances
from krakked_core.portfolio.models import AssetDiff, Reconciliation


def balances_to_state(balances: AccountBalances, at: datetime) -> dict[str, Any]:
    return {
        "as_of": at.isoformat(),
        "amounts": {asset: str(amount) for asset, amount in sorted(balances.amounts.items())},
    }


def balances_from_state(state: dict[str, Any]) -> tuple[dict[str, Decimal], datetime]:
    amounts = {asset: Decimal(amount) for asset, amount in state["amounts"].items()}
    return amounts, datetime.fromisoformat(state["as_of"])


def reconciliation_to_state(result: Reconciliation) -> dict[str, Any]:
    return {
        "checked_at": result.checked_at.isoformat(),
        "drift_flag": result.drift_flag,
        "diffs": [
            {
                "asset": d.asset,
                "books": str(d.books),
                "exchange": str(d.exchange),
                "value_usd": None if d.value_usd is None else str(d.value_usd),
            }
            for d in result.diffs
        ],
        "unexplained_sells": {k: str(v) for k, v in result.unexplained_sells.items()},
    }


def reconciliation_from_state(state: dict[str, Any]) -> Reconciliation:
    return Reconciliation(
        checked_at=datetime.fromisoformat(state["checked_at"]),
        drift_flag=bool(state["drift_flag"]),
        diffs=tuple(
            AssetDiff(
                asset=d["asset"],
                books=Decimal(d["books"]),
                exchange=Decimal(d["exchange"]),
                value_usd=None if d["value_usd"] is None else Decimal(d["value_usd"]),
            )
            for d in state["diffs"]
        ),
        unexplained_sells={k: Decimal(v) for k, v in state["unexplained_sells"].items()},
    )
