"""Fixtures every test area shares: isolated dirs, and app databases on SQLite and PostgreSQL."""

import itertools
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from krakked_core.db import make_engine, upgrade
from krakked_core.paths import AppPaths

SHARED = Path(__file__).resolve().parents[2] / "shared"
if not SHARED.exists():  # a checkout whose parent has no shared/: look beside the repo root
    SHARED = Path(__file__).resolve().parents[1].parent / "shared"
KRAKEN_SAMPLES = SHARED / "kraken" / "samples"

PG_ADMIN_URL = os.environ.get(
    "KRAKKED_TEST_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
)
_RUN_ID = uuid.uuid4().hex[:8]
_db_counter = itertools.count()


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppPaths:
    """No test reads or writes the real config/data dirs, nor inherits KRAKKED_* settings."""
    for name in list(os.environ):
        if name.startswith("KRAKKED_") and name not in {
            "KRAKKED_REQUIRE_PG",
            "KRAKKED_TEST_PG_URL",
        }:
            monkeypatch.delenv(name)
    paths = AppPaths(config_dir=tmp_path / "config", data_dir=tmp_path / "data")
    monkeypatch.setenv("KRAKKED_CONFIG_DIR", str(paths.config_dir))
    monkeypatch.setenv("KRAKKED_DATA_DIR", str(paths.data_dir))
    return paths


@pytest.fixture
def app_paths(_isolated_dirs: AppPaths) -> AppPaths:
    return _isolated_dirs.ensure()


def _pg_reachable() -> str | None:
    try:
        engine = sa.create_engine(PG_ADMIN_URL)
        with engine.connect():
            pass
        engine.dispose()
        return None
    except Exception as exc:  # any failure means "not reachable" here
        return f"PostgreSQL not reachable at {PG_ADMIN_URL}: {type(exc).__name__}"


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[Engine]:
    """An AUTOCOMMIT engine on the local server; skips (or fails with KRAKKED_REQUIRE_PG=1)."""
    reason = _pg_reachable()
    if reason:
        if os.environ.get("KRAKKED_REQUIRE_PG") == "1":
            pytest.fail(f"KRAKKED_REQUIRE_PG=1 but {reason}")
        pytest.skip(reason)
    engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()


@pytest.fixture
def pg_url(pg_admin: Engine) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    name = f"krakked_test_{_RUN_ID}_{next(_db_counter)}"
    with pg_admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield sa.engine.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    with pg_admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty app database URL, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'app.db'}"
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """A migrated app database (every branch at head) on each backend."""
    eng = make_engine(db_url)
    upgrade(eng)
    yield eng
    eng.dispose()
