"""Backups restore to an identical database; restores check the file; upgrades back up first."""

import gzip
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import Engine

from krakked_core.clock import ManualClock
from krakked_core.db import head_revisions, make_engine, upgrade
from krakked_core.db.backup import (
    backup_database,
    backups_in,
    check_backup,
    restore_database,
)
from krakked_core.db.check import check_database
from krakked_core.db.migrate import alembic_config, schema_state
from krakked_core.db.safe_upgrade import upgrade_with_backup
from krakked_core.errors import BackupError, DatabaseVersionError, MigrationError
from tests.ops.db_rows import fill_every_table, read_everything

START = datetime(2026, 3, 1, 3, 30, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


def _mutate(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE maintenance_log SET event = 'changed'"))
        conn.execute(sa.text("DELETE FROM live_ticker"))


def test_backup_then_changes_then_restore_gives_back_every_table(
    engine: Engine, db_url: str, tmp_path: Path, clock: ManualClock
) -> None:
    filled = fill_every_table(engine)
    before = read_everything(engine)
    assert filled == {name for name in before if name != "alembic_version"}

    backup = backup_database(db_url, tmp_path / "backups", keep=3, clock=clock)
    _mutate(engine)
    assert read_everything(engine) != before
    engine.dispose()
    restore_database(db_url, backup)

    assert read_everything(engine) == before
    assert check_database(engine).ok


def test_rotation_keeps_the_newest(engine: Engine, db_url: str, tmp_path: Path) -> None:
    clock = ManualClock(START)
    written = []
    for _ in range(4):
        written.append(backup_database(db_url, tmp_path / "b", keep=2, clock=clock))
        clock.advance(timedelta(days=1).total_seconds())
    assert backups_in(tmp_path / "b") == written[-2:]


def test_restore_refuses_a_damaged_file_and_leaves_the_db_alone(
    tmp_path: Path, clock: ManualClock
) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    engine = make_engine(url)
    upgrade(engine)
    fill_every_table(engine)
    before = read_everything(engine)
    good = backup_database(url, tmp_path / "b", keep=5, clock=clock)
    truncated = tmp_path / "b" / "krakked-cut.db.gz"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    not_gzip = tmp_path / "b" / "krakked-plain.db.gz"
    not_gzip.write_bytes(b"SQLite format 3\0 but not gzipped")
    garbage = tmp_path / "b" / "krakked-garbage.db.gz"
    garbage.write_bytes(gzip.compress(b"not a database" * 100))

    for bad in (truncated, not_gzip, garbage, tmp_path / "missing.db.gz"):
        with pytest.raises(BackupError):
            restore_database(url, bad)
    assert read_everything(engine) == before


def test_restore_refuses_a_backup_from_a_newer_schema(tmp_path: Path, clock: ManualClock) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO alembic_version VALUES ('9999_future')"))
    backup = backup_database(url, tmp_path / "b", keep=5, clock=clock)
    with pytest.raises(BackupError, match="newer Krakked"):
        check_backup(backup)


def test_check_fails_on_a_schema_newer_than_the_code(engine: Engine) -> None:
    assert check_database(engine).ok
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO alembic_version VALUES ('9999_future')"))
    report = check_database(engine)
    assert not report.ok
    assert report.schema.status == "newer"
    assert "upgrade Krakked" in report.problems()[0]


def _half_migrated_setup(url: str) -> Engine:
    """A database at the baseline plus a table 0004 creates last of its eight,
    so an upgrade fails after other branches' migrations already ran."""
    engine = make_engine(url)
    command.upgrade(alembic_config(engine), "0001_baseline")
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE portfolio_state (x INTEGER)"))
        conn.execute(sa.text("INSERT INTO portfolio_state VALUES (7)"))
    return engine


def test_failed_migration_without_the_backup_leaves_half_a_schema_on_sqlite(
    tmp_path: Path,
) -> None:
    """Why upgrades back up first: SQLite's driver commits DDL, so this is what it prevents."""
    engine = _half_migrated_setup(f"sqlite:///{tmp_path / 'app.db'}")
    before = read_everything(engine)
    with pytest.raises(sa.exc.OperationalError):
        upgrade(engine)
    assert read_everything(engine).keys() != before.keys()


def test_failed_migration_leaves_the_database_as_it_was(
    db_url: str, tmp_path: Path, clock: ManualClock
) -> None:
    engine = _half_migrated_setup(db_url)
    before = read_everything(engine)
    with pytest.raises(MigrationError, match="as it was"):
        upgrade_with_backup(engine, db_url, tmp_path / "b", keep=5, clock=clock)
    assert read_everything(engine) == before
    assert schema_state(engine).status == "behind"


def test_upgrade_backs_up_first_and_refuses_a_newer_schema(
    db_url: str, tmp_path: Path, clock: ManualClock
) -> None:
    engine = make_engine(db_url)
    command.upgrade(alembic_config(engine), "0001_baseline")
    backup = upgrade_with_backup(engine, db_url, tmp_path / "b", keep=5, clock=clock)
    assert backup is not None and "pre-upgrade" in backup.name
    assert schema_state(engine).current == head_revisions()
    assert upgrade_with_backup(engine, db_url, tmp_path / "b", keep=5, clock=clock) is None
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO alembic_version VALUES ('9999_future')"))
    with pytest.raises(DatabaseVersionError, match="newer Krakked"):
        upgrade_with_backup(engine, db_url, tmp_path / "b", keep=5, clock=clock)
