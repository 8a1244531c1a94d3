"""`krakked db backup` / `restore`: compressed, rotated backups of the app DB, checked on restore.

SQLite files are copied with the online backup API and gzipped (``sqlite_backup.py``);
PostgreSQL is dumped with ``pg_dump`` in its compressed custom format (``pg_backup.py``). Names
carry the UTC time, so sorting them sorts by age and rotation keeps the newest ``keep``.
A restore reads the file first (readable, integrity, a schema this code knows) and only then
replaces the database's content, in one step.
"""

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from krakked_core.clock import Clock
from krakked_core.config import AppConfig
from krakked_core.db import pg_backup, sqlite_backup
from krakked_core.db.migrate import SchemaState, state_of
from krakked_core.errors import BackupError
from krakked_core.paths import AppPaths

log = logging.getLogger(__name__)

PREFIX = "krakked-"
SUFFIXES = {"sqlite": ".db.gz", "postgresql": ".pgdump"}


@dataclass(frozen=True)
class BackupCheck:
    """What a backup file holds, read without touching the database."""

    path: Path
    backend: str
    schema: SchemaState


def backend_of(url: str) -> str:
    backend = make_url(url).get_backend_name()
    if backend not in SUFFIXES:
        raise BackupError(f"backups support SQLite and PostgreSQL, not {backend}")
    return backend


def backup_database(url: str, directory: Path, keep: int, clock: Clock, label: str = "") -> Path:
    """Write a backup of the database at ``url`` into ``directory``; keep the newest ``keep``."""
    backend = backend_of(url)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    stamp = clock.now().strftime("%Y%m%dT%H%M%S%fZ")
    name = f"{PREFIX}{stamp}{'-' + label if label else ''}{SUFFIXES[backend]}"
    target = directory / name
    partial = directory / f".{name}.partial"  # never mistaken for a backup by rotation
    try:
        if backend == "sqlite":
            sqlite_backup.dump(_sqlite_file(url), partial)
        else:
            pg_backup.dump(url, partial)
        partial.chmod(0o600)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    log.info("database backed up", extra={"path": str(target)})
    rotate(directory, keep)
    return target


def backups_in(directory: Path) -> list[Path]:
    """Every backup in ``directory``, oldest first."""
    if not directory.is_dir():
        return []
    found = [
        path
        for path in directory.iterdir()
        if path.name.startswith(PREFIX) and path.name.endswith(tuple(SUFFIXES.values()))
    ]
    return sorted(found, key=lambda path: path.name)


def rotate(directory: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` backups; return what was deleted."""
    old = backups_in(directory)[:-keep] if keep > 0 else backups_in(directory)
    for path in old:
        path.unlink()
    return old


def check_backup(path: Path) -> BackupCheck:
    """Read a backup: raise BackupError unless it is whole, intact and of a known schema."""
    if not path.is_file():
        raise BackupError(f"{path} is not a file")
    if path.name.endswith(SUFFIXES["sqlite"]):
        with sqlite_backup.unpacked(path, path.parent) as plain:
            verdict = sqlite_backup.integrity(plain)
            if verdict != "ok":
                raise BackupError(f"{path} fails SQLite's integrity check: {verdict}")
            revisions = sqlite_backup.revisions(plain)
        backend = "sqlite"
    elif path.name.endswith(SUFFIXES["postgresql"]):
        pg_backup.check(path)
        revisions = pg_backup.revisions(path)
        backend = "postgresql"
    else:
        raise BackupError(f"{path} is not a Krakked backup (*.db.gz or *.pgdump)")
    schema = state_of(revisions)
    if schema.status == "empty":
        raise BackupError(f"{path} holds no Krakked schema (no alembic_version rows)")
    if schema.status == "newer":
        raise BackupError(
            f"{path} was written by a newer Krakked (schema {', '.join(sorted(schema.unknown))}): "
            "upgrade Krakked before restoring it"
        )
    return BackupCheck(path=path, backend=backend, schema=schema)


def restore_database(url: str, path: Path) -> BackupCheck:
    """Check ``path``, then replace the database's content with it (the caller stops Krakked)."""
    checked = check_backup(path)
    backend = backend_of(url)
    if checked.backend != backend:
        raise BackupError(f"{path} is a {checked.backend} backup; the database is {backend}")
    if backend == "sqlite":
        database = _sqlite_file(url)
        with sqlite_backup.unpacked(path, database.parent) as plain:
            sqlite_backup.load(plain, database)
    else:
        pg_backup.load(path, url)
    log.warning("database restored", extra={"path": str(path)})
    return checked


def _sqlite_file(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database has nothing to back up")
    return Path(database).expanduser()


def backup_app_db(config: AppConfig, paths: AppPaths, clock: Clock) -> Path:
    """The configured database into the configured backups dir (the daily schedule's work)."""
    ops = config.ops
    return backup_database(
        config.db.resolved_url(paths), ops.backups(paths), ops.backup_keep, clock
    )
