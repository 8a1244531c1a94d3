"""SQLite backups through SQLite's online backup API, gzip-compressed.

The backup API copies a consistent snapshot while other processes keep writing (WAL mode), which
copying the file would not: the file alone misses what is still in the ``-wal`` file.
"""

import gzip
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from krakked_core.errors import BackupError

_COPY_CHUNK_BYTES = 1 << 20


def dump(database: Path, target: Path) -> None:
    """Write a gzip-compressed, consistent copy of ``database`` to ``target``."""
    if not database.exists():
        raise BackupError(f"there is no database at {database} to back up")
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".backup-") as scratch:
        copy = Path(scratch) / "copy.db"
        with closing(sqlite3.connect(database)) as source, closing(sqlite3.connect(copy)) as dest:
            source.backup(dest)
        with copy.open("rb") as raw, gzip.open(target, "wb", compresslevel=6) as packed:
            shutil.copyfileobj(raw, packed, _COPY_CHUNK_BYTES)


@contextmanager
def unpacked(backup: Path, scratch_dir: Path) -> Iterator[Path]:
    """The backup as a plain SQLite file in ``scratch_dir``, removed afterwards."""
    with tempfile.TemporaryDirectory(dir=scratch_dir, prefix=".restore-") as scratch:
        plain = Path(scratch) / "backup.db"
        try:
            with gzip.open(backup, "rb") as packed, plain.open("wb") as raw:
                shutil.copyfileobj(packed, raw, _COPY_CHUNK_BYTES)
        except (OSError, EOFError) as exc:  # gzip.BadGzipFile is an OSError
            raise BackupError(f"{backup} is not a readable gzip file: {exc}") from exc
        yield plain


def integrity(database: Path) -> str:
    """``PRAGMA integrity_check``'s verdict: "ok", or what is wrong."""
    try:
        with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as conn:
            rows = conn.execute("PRAGMA integrity_check").fetchall()
    except sqlite3.DatabaseError as exc:
        return f"not a SQLite database: {exc}"
    return "; ".join(str(row[0]) for row in rows)


def revisions(database: Path) -> frozenset[str]:
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as conn:
        try:
            rows = conn.execute("SELECT version_num FROM alembic_version").fetchall()
        except sqlite3.DatabaseError:
            return frozenset()
    return frozenset(str(row[0]) for row in rows)


def load(plain_backup: Path, database: Path) -> None:
    """Replace the content of ``database`` with the backup's, in one step of the backup API.

    Copying into the live file (not replacing it) keeps its WAL consistent and its permissions.
    """
    database.parent.mkdir(parents=True, exist_ok=True)
    with (
        closing(sqlite3.connect(plain_backup)) as source,
        closing(sqlite3.connect(database, timeout=30)) as dest,
    ):
        source.backup(dest)
