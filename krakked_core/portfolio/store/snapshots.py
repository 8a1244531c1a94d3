"""``SnapshotStore``: the portfolio valued at moments in time (equity history), kept for
``snapshot_retention_days``."""

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Engine

from krakked_core.db.portfolio_tables import portfolio_snapshots
from krakked_core.portfolio.models import AssetValuation, PortfolioSnapshot
from krakked_core.portfolio.store.rows import aware


class SnapshotStore:
    """Reads and writes of ``portfolio_snapshots``."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def save_snapshot(self, snapshot: PortfolioSnapshot) -> int:
        detail = {
            "asset_valuations": [_valuation_json(v) for v in snapshot.asset_valuations],
            "realized_by_pair": {k: str(v) for k, v in snapshot.realized_pnl_base_by_pair.items()},
            "unrealized_by_pair": {
                k: str(v) for k, v in snapshot.unrealized_pnl_base_by_pair.items()
            },
        }
        with self._engine.begin() as conn:
            result = conn.execute(
                portfolio_snapshots.insert().values(
                    taken_at=snapshot.timestamp,
                    equity_usd=snapshot.equity_base,
                    cash_usd=snapshot.cash_base,
                    realized_pnl_usd=snapshot.realized_pnl_base_total,
                    unrealized_pnl_usd=snapshot.unrealized_pnl_base_total,
                    drift_flag=snapshot.drift_flag,
                    complete=snapshot.complete,
                    detail=json.dumps(detail),
                )
            )
            key = result.inserted_primary_key
            return int(key[0]) if key else 0

    def get_snapshots(
        self, since: datetime | None = None, limit: int | None = None, include_partial: bool = False
    ) -> list[PortfolioSnapshot]:
        """Newest first; complete snapshots only unless ``include_partial``."""
        s = portfolio_snapshots
        query = sa.select(s).order_by(s.c.taken_at.desc(), s.c.id.desc())
        if not include_partial:
            query = query.where(s.c.complete.is_(True))
        if since:
            query = query.where(s.c.taken_at >= since)
        if limit is not None:
            query = query.limit(limit)
        with self._engine.connect() as conn:
            return [_snapshot(row) for row in conn.execute(query).mappings()]

    def prune_snapshots(self, older_than: datetime) -> int:
        s = portfolio_snapshots
        with self._engine.begin() as conn:
            return conn.execute(s.delete().where(s.c.taken_at < older_than)).rowcount or 0


def _valuation_json(v: AssetValuation) -> dict[str, Any]:
    return {
        "asset": v.asset,
        "amount": str(v.amount),
        "value_base": None if v.value_base is None else str(v.value_base),
        "source_pair": v.source_pair,
        "variants": {k: str(x) for k, x in v.variants.items()},
        "unvalued_reason": v.unvalued_reason,
    }


def _snapshot(row: Any) -> PortfolioSnapshot:
    detail = json.loads(row["detail"])
    return PortfolioSnapshot(
        id=row["id"],
        timestamp=aware(row["taken_at"]),
        equity_base=row["equity_usd"],
        cash_base=row["cash_usd"],
        realized_pnl_base_total=row["realized_pnl_usd"],
        unrealized_pnl_base_total=row["unrealized_pnl_usd"],
        drift_flag=bool(row["drift_flag"]),
        asset_valuations=tuple(
            AssetValuation(
                asset=v["asset"],
                amount=Decimal(v["amount"]),
                value_base=None if v["value_base"] is None else Decimal(v["value_base"]),
                source_pair=v["source_pair"],
                variants={k: Decimal(x) for k, x in v["variants"].items()},
                unvalued_reason=v.get("unvalued_reason"),  # absent before 0005
            )
            for v in detail["asset_valuations"]
        ),
        realized_pnl_base_by_pair={k: Decimal(v) for k, v in detail["realized_by_pair"].items()},
        unrealized_pnl_base_by_pair={
            k: Decimal(v) for k, v in detail["unrealized_by_pair"].items()
        },
    )
