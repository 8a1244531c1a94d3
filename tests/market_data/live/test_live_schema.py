from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine

from krakked_core.db import check_schema, head_revisions
from krakked_core.db.live_tables import data_status, live_bars, live_ticker
from krakked_core.db.metadata import metadata

LIVE_TABLES = {live_ticker.name, live_bars.name, data_status.name}


def _touches_live_tables(diff: object) -> bool:
    text = repr(diff)
    return any(name in text for name in LIVE_TABLES)


def test_live_data_migration_matches_the_table_definitions(engine: Engine) -> None:
    check_schema(engine)
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)

    assert [d for d in diffs if _touches_live_tables(d)] == []
    assert "0003_live_data" in head_revisions()
