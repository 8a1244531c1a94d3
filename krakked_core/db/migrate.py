"""Schema changes only through Alembic; start-up refuses a schema it does not know.

Each area (market data, live data, portfolio …) keeps its migrations on its own branch from
``0001_baseline`` (``branch_labels``), so the schema is the set of branch heads; ``upgrade``
applies them all.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from krakked_core.errors import DatabaseVersionError

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def head_revisions() -> frozenset[str]:
    """The schema this code expects: every branch's head."""
    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


def current_revisions(engine: Engine) -> frozenset[str]:
    with engine.connect() as connection:
        return frozenset(MigrationContext.configure(connection).get_current_heads())


SchemaStatus = Literal["current", "behind", "newer", "empty"]


@dataclass(frozen=True)
class SchemaState:
    """The database's revisions against this code's heads."""

    current: frozenset[str]
    heads: frozenset[str]
    unknown: frozenset[str]  # revisions only a newer Krakked knows

    @property
    def status(self) -> SchemaStatus:
        if self.unknown:
            return "newer"
        if not self.current:
            return "empty"
        return "current" if self.current == self.heads else "behind"

    def to_json(self) -> dict[str, object]:
        return {
            "status": self.status,
            "database": sorted(self.current),
            "code": sorted(self.heads),
            "unknown": sorted(self.unknown),
        }


def schema_state(engine: Engine) -> SchemaState:
    return state_of(current_revisions(engine))


def state_of(current: frozenset[str]) -> SchemaState:
    """Compare revisions read from a database (or a backup) with this code's."""
    return SchemaState(current=current, heads=head_revisions(), unknown=unknown_revisions(current))


def unknown_revisions(current: frozenset[str]) -> frozenset[str]:
    known = {rev.revision for rev in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
    return frozenset(current - known)


def upgrade(engine: Engine) -> None:
    """Apply every pending migration (``krakked db upgrade``); refuse a newer database."""
    _refuse_unknown_revisions(current_revisions(engine))
    command.upgrade(alembic_config(engine), "heads")


def check_schema(engine: Engine) -> None:
    """Raise DatabaseVersionError unless the database is exactly at this code's heads."""
    current = current_revisions(engine)
    heads = head_revisions()
    if current == heads:
        return
    _refuse_unknown_revisions(current)
    raise DatabaseVersionError(
        f"the database schema is at {_show(current)}, this code needs {_show(heads)}: "
        "run `krakked db upgrade`"
    )


def _refuse_unknown_revisions(current: frozenset[str]) -> None:
    unknown = sorted(unknown_revisions(current))
    if unknown:
        raise DatabaseVersionError(
            f"the database has schema revision(s) {', '.join(unknown)} that this code does not "
            "know: it was written by a newer Krakked. Upgrade Krakked, or use another database"
        )


def _show(revisions: frozenset[str]) -> str:
    return ", ".join(sorted(revisions)) or "nothing"
