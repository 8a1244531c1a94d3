"""Upgrade the schema with a backup first, so a failed migration leaves the database as it was.

PostgreSQL rolls a failed migration back by itself (DDL is transactional there); SQLite's
driver commits each DDL statement, so a migration failing half-way would leave half a schema.
Both get the same guarantee: the backup taken just before is restored, and the error says so.
"""

import logging
from pathlib import Path

from sqlalchemy import Engine

from krakked_core.clock import Clock
from krakked_core.db import pg_backup
from krakked_core.db.backup import backend_of, backup_database, restore_database
from krakked_core.db.migrate import schema_state, upgrade
from krakked_core.errors import DatabaseVersionError, MigrationError

log = logging.getLogger(__name__)


def upgrade_with_backup(
    engine: Engine, url: str, backup_dir: Path, keep: int, clock: Clock
) -> Path | None:
    """Apply pending migrations; return the backup taken first (None when none was needed)."""
    state = schema_state(engine)
    if state.status in ("current", "newer"):
        upgrade(engine)  # nothing to do, or refuses the newer schema with its instructions
        return None
    backup = _backup_before(url, backup_dir, keep, clock) if state.status == "behind" else None
    try:
        upgrade(engine)
    except DatabaseVersionError:
        raise
    except Exception as exc:
        engine.dispose()  # no pooled connection may hold the half-migrated file open
        raise _rolled_back(url, backup, exc) from exc
    return backup


def _backup_before(url: str, backup_dir: Path, keep: int, clock: Clock) -> Path | None:
    if backend_of(url) == "postgresql" and not pg_backup.tools_installed():
        log.warning(
            "pg_dump is not installed: migrating without a backup (PostgreSQL rolls a failed "
            "migration back by itself)"
        )
        return None
    return backup_database(url, backup_dir, keep, clock, label="pre-upgrade")


def _rolled_back(url: str, backup: Path | None, exc: Exception) -> MigrationError:
    what = f"migrating the database failed ({type(exc).__name__}: {exc})"
    if backup is not None:
        restore_database(url, backup)
        state = f"it was restored from {backup}, as it was before the upgrade"
    elif backend_of(url) == "postgresql":
        state = "PostgreSQL rolled the migration back; the database is as it was"
    else:
        state = "the database was empty before: delete it and start again"
    log.critical("migration failed", extra={"backup": str(backup)})
    return MigrationError(
        f"{what}; {state}. Run the previous Krakked version on it, or report this error"
    )
