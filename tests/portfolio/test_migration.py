import json
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine

import krakked_core.db.tables  # noqa: F401
from krakked_core.db import check_schema, make_engine, upgrade
from krakked_core.db.metadata import metadata
from krakked_core.db.migrate import alembic_config
from krakked_core.portfolio.models import AssetValuation, PortfolioSnapshot
from krakked_core.portfolio.store import PortfolioStore
from tests.fakes.account import T0

PORTFOLIO_TABLES = {
    "portfolio_trades",
    "portfolio_ledger_entries",
    "portfolio_cash_flows",
    "portfolio_exchange_orders",
    "orders",
    "portfolio_snapshots",
    "portfolio_sync_marks",
    "portfolio_state",
}


def _table_of(diff: object) -> str | None:
    item = diff[0] if isinstance(diff, list) else diff
    for part in item[1:]:  # type: ignore[index]
        name = getattr(part, "name", None)
        table = getattr(part, "table", None)
        if table is not None and getattr(table, "name", None):
            return str(table.name)
        if isinstance(part, str):
            return part
        if name:
            return str(name)
    return None


def test_migration_when_applied_then_matches_table_definitions(engine: Engine) -> None:
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    ours = [d for d in diffs if _table_of(d) in PORTFOLIO_TABLES]
    assert ours == []
    assert set(metadata.tables) >= PORTFOLIO_TABLES


def _detail(*values: str | None) -> str:
    valuations = [
        {"asset": f"A{i}", "amount": "1", "value_base": v, "source_pair": None, "variants": {}}
        for i, v in enumerate(values)
    ]
    return json.dumps(
        {"asset_valuations": valuations, "realized_by_pair": {}, "unrealized_by_pair": {}}
    )


def test_upgrade_when_snapshots_stored_before_0005_then_each_marked_from_its_valuations(
    db_url: str,
) -> None:
    engine = make_engine(db_url)
    command.upgrade(alembic_config(engine), "0004_portfolio")
    row = {"equity": "10", "cash": "10", "pnl": "0", "drift": False}
    with engine.begin() as conn:
        for minute, detail in enumerate([_detail("10"), _detail("10", None), _detail()]):
            conn.execute(
                sa.text(
                    "INSERT INTO portfolio_snapshots (taken_at, equity_usd, cash_usd, "
                    "realized_pnl_usd, unrealized_pnl_usd, drift_flag, detail) VALUES "
                    "(:at, :equity, :cash, :pnl, :pnl, :drift, :detail)"
                ),
                {**row, "at": T0 + timedelta(minutes=minute), "detail": detail},
            )

    upgrade(engine)

    check_schema(engine)
    store = PortfolioStore(engine).snapshots
    everything = store.get_snapshots(include_partial=True)
    assert [(s.timestamp, s.complete) for s in everything] == [
        (T0 + timedelta(minutes=2), True),
        (T0 + timedelta(minutes=1), False),
        (T0, True),
    ]
    assert everything[1].unvalued_assets == ("A1",)
    assert [s.timestamp for s in store.get_snapshots()] == [T0 + timedelta(minutes=2), T0]
    engine.dispose()


def test_downgrade_of_0005_then_upgrade_again_keeps_snapshots(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    store = PortfolioStore(engine).snapshots
    store.save_snapshot(_snapshot_with(None))

    command.downgrade(alembic_config(engine), "0004_portfolio")
    upgrade(engine)

    assert [s.complete for s in store.get_snapshots(include_partial=True)] == [False]
    engine.dispose()


def _snapshot_with(value: Decimal | None) -> PortfolioSnapshot:
    return PortfolioSnapshot(
        timestamp=T0,
        equity_base=Decimal(0),
        cash_base=Decimal(0),
        asset_valuations=(AssetValuation("XBT", Decimal(1), value, "XBTUSD"),),
        realized_pnl_base_total=Decimal(0),
        unrealized_pnl_base_total=Decimal(0),
        realized_pnl_base_by_pair={},
        unrealized_pnl_base_by_pair={},
    )
