"""The market-data migration matches its table definitions, on SQLite and PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, MetaData

from krakked_core.db import market_tables
from krakked_core.db.metadata import metadata


def test_migration_creates_exactly_the_declared_market_tables(engine: Engine) -> None:
    mine = MetaData(naming_convention=metadata.naming_convention)
    for table in (market_tables.universe_pairs, market_tables.universe_refreshes):
        table.to_metadata(mine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), mine)
    assert [d for d in diff if _concerns_mine(d)] == []


def _concerns_mine(diff: object) -> bool:
    text = repr(diff)
    return "universe_pairs" in text or "universe_refreshes" in text
