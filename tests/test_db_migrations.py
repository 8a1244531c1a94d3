import pytest
import sqlalchemy as sa

from krakked_core.db import check_schema, head_revisions, make_engine, upgrade
from krakked_core.errors import DatabaseVersionError


def test_upgrade_then_schema_check_passes(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    check_schema(engine)
    upgrade(engine)  # idempotent
    check_schema(engine)


def test_empty_database_asks_for_upgrade(db_url: str) -> None:
    engine = make_engine(db_url)
    with pytest.raises(DatabaseVersionError, match="krakked db upgrade"):
        check_schema(engine)


def test_database_newer_than_code_refuses_to_start(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    some_head = sorted(head_revisions())[0]
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE alembic_version SET version_num = '9999_x' WHERE version_num = :v"),
            {"v": some_head},
        )
    with pytest.raises(DatabaseVersionError, match="newer Krakked"):
        check_schema(engine)
    with pytest.raises(DatabaseVersionError, match="newer Krakked"):
        upgrade(engine)


def test_sqlite_uses_wal_and_foreign_keys(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as conn:
        assert conn.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
    assert head_revisions()
