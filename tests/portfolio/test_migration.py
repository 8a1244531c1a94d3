from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine

import krakked_core.db.tables  # noqa: F401
from krakked_core.db.metadata import metadata

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
