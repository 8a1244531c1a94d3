"""`krakked db backup|check|restore` as an operator runs them."""

import json
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from typer.testing import CliRunner

from krakked_core.cli import app
from krakked_core.clock import ManualClock
from krakked_core.db import make_engine
from krakked_core.paths import AppPaths
from krakked_core.running import holding_running_lock
from tests.ops.db_rows import fill_every_table, read_everything

CLOCK = ManualClock(datetime(2026, 3, 1, 3, 30, tzinfo=UTC))


def _run(*args: str, stdin: str | None = None) -> tuple[int, str]:
    """Exit code and stdout (log lines and errors go to stderr)."""
    result = CliRunner().invoke(app, list(args), obj=CLOCK, input=stdin)
    return result.exit_code, result.stdout + ("" if result.exit_code == 0 else result.stderr)


def _upgraded(app_paths: AppPaths) -> sa.Engine:
    code, out = _run("db", "upgrade")
    assert code == 0, out
    return make_engine(f"sqlite:///{app_paths.default_db_file}")


def test_backup_json_names_the_file_and_restore_asks_then_restores(app_paths: AppPaths) -> None:
    engine = _upgraded(app_paths)
    fill_every_table(engine)
    before = read_everything(engine)

    code, out = _run("db", "backup", "--json")
    assert code == 0, out
    path = Path(json.loads(out)["path"])
    assert path.parent == app_paths.backup_dir and path.name.endswith(".db.gz")
    assert path.stat().st_mode & 0o077 == 0

    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM live_ticker"))
    code, out = _run("db", "restore", str(path), stdin="n\n")
    assert code == 1 and "nothing restored" in out
    assert read_everything(engine) != before
    code, out = _run("db", "restore", str(path), stdin="y\n")
    assert code == 0, out
    assert read_everything(engine) == before


def test_restore_refuses_while_krakked_runs(app_paths: AppPaths) -> None:
    _upgraded(app_paths)
    code, out = _run("db", "backup")
    path = out.strip().splitlines()[-1]
    with holding_running_lock(app_paths, "test"):
        code, out = _run("db", "restore", path, "--yes")
    assert code == 1 and "Krakked is running" in out


def test_check_json_reports_counts_and_fails_on_a_newer_schema(app_paths: AppPaths) -> None:
    engine = _upgraded(app_paths)
    fill_every_table(engine, rows=3)
    code, out = _run("db", "check", "--json")
    report = json.loads(out)
    assert code == 0 and report["ok"] and report["integrity"] == "ok"
    assert report["row_counts"]["maintenance_log"] == 3
    assert report["schema"]["status"] == "current"

    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO alembic_version VALUES ('9999_future')"))
    code, out = _run("db", "check", "--json")
    assert code == 1 and json.loads(out)["schema"]["status"] == "newer"


def test_check_fails_on_a_damaged_file(app_paths: AppPaths) -> None:
    engine = _upgraded(app_paths)
    fill_every_table(engine, rows=50)
    engine.dispose()
    db = app_paths.default_db_file
    with sa.create_engine(f"sqlite:///{db}").begin() as conn:
        conn.execute(sa.text("PRAGMA wal_checkpoint(TRUNCATE)"))
    data = bytearray(db.read_bytes())
    page = 4096
    data[page * 2 : page * 2 + 200] = b"\xff" * 200  # damage a b-tree page
    db.write_bytes(bytes(data))
    code, out = _run("db", "check")
    assert code == 1 and "integrity" in out and "integrity: ok" not in out, out
