"""`krakked db check`: integrity, schema revision and row counts of the app DB.

SQLite runs ``PRAGMA integrity_check``. PostgreSQL has no such command; counting every table's
rows reads every heap page, which is where damage shows, so its verdict is "every table read".
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql import func, table

from krakked_core.db.migrate import SchemaState, schema_state


@dataclass(frozen=True)
class DbCheck:
    backend: str
    integrity: str  # "ok", or what is wrong
    schema: SchemaState
    row_counts: dict[str, int]

    @property
    def ok(self) -> bool:
        return self.integrity == "ok" and self.schema.status == "current"

    def problems(self) -> list[str]:
        found = [] if self.integrity == "ok" else [f"integrity: {self.integrity}"]
        advice = {
            "behind": "run `krakked db upgrade`",
            "empty": "run `krakked db upgrade` to create it",
            "newer": "it was written by a newer Krakked: upgrade Krakked",
        }
        if self.schema.status in advice:
            found.append(f"schema {self.schema.status}: {advice[self.schema.status]}")
        return found

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "backend": self.backend,
            "integrity": self.integrity,
            "schema": self.schema.to_json(),
            "row_counts": self.row_counts,
            "problems": self.problems(),
        }


def check_database(engine: Engine) -> DbCheck:
    backend = engine.dialect.name
    integrity = _sqlite_integrity(engine) if backend == "sqlite" else "ok"
    counts: dict[str, int] = {}
    try:
        with engine.connect() as conn:
            for name in sorted(inspect(conn).get_table_names()):
                counts[name] = int(
                    conn.execute(select(func.count()).select_from(table(name))).scalar_one()
                )
    except SQLAlchemyError as exc:
        integrity = f"reading the tables failed: {type(exc).__name__}: {exc}"
    return DbCheck(backend, integrity, schema_state(engine), counts)


def _sqlite_integrity(engine: Engine) -> str:
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("PRAGMA integrity_check")).fetchall()
    except SQLAlchemyError as exc:
        return f"integrity check failed: {exc}"
    return "; ".join(str(row[0]) for row in rows)
