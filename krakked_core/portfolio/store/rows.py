"""What the portfolio's table modules share: aware UTC times, chunked ``IN`` lists, money read
as text, and inserts that keep a row already stored.

SQLite hands back naive datetimes: every time read is made aware UTC again here.
"""

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.dialects import postgresql, sqlite

CHUNK = 500


def insert_new(engine: Engine, table: sa.Table, key: str, rows: list[dict[str, Any]]) -> list[str]:
    """Store the rows whose ``key`` is not stored yet, in one transaction; return their keys."""
    with engine.begin() as conn:
        return insert_new_in(conn, table, key, rows)


def insert_new_in(
    conn: sa.Connection, table: sa.Table, key: str, rows: list[dict[str, Any]]
) -> list[str]:
    """``insert_new`` inside the caller's transaction."""
    unique = {row[key]: row for row in rows}  # a page may repeat a row
    if not unique:
        return []
    existing: set[str] = set()
    column = table.c[key]
    for chunk in chunks(list(unique)):
        existing.update(conn.execute(sa.select(column).where(column.in_(chunk))).scalars())
    new = [row for k, row in unique.items() if k not in existing]
    for chunk_rows in chunks(new):
        conn.execute(_insert_ignore(conn.dialect.name, table, key), chunk_rows)
    return [row[key] for row in new]


def _insert_ignore(dialect: str, table: sa.Table, key: str) -> Any:
    # Another process may have stored the same row since we looked: ignore, never fail.
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing(index_elements=[key])
    if dialect == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing(index_elements=[key])
    return sa.insert(table)


def as_text(column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """A money or time column read without its column type's conversion: a replay reads
    hundreds of thousands of them, and ``Decimal(text)`` or ``datetime.fromisoformat`` directly
    is several times cheaper."""
    return sa.type_coerce(column, sa.String()).label(column.key or "value")


def time_read_as_text(value: str | datetime) -> datetime:
    """A time column read ``as_text``: SQLite hands back its stored text, PostgreSQL's driver a
    datetime whatever the column type says."""
    if isinstance(value, str):
        if value[-6] not in "+-" and value[-1] not in "Zz":
            # Naive text (as SQLite stores it) is UTC: parsing it with the offset spelled out
            # is several times cheaper than ``replace(tzinfo=UTC)`` after the parse.
            return datetime.fromisoformat(value + "+00:00")
        return aware(datetime.fromisoformat(value))
    return aware(value)


def decimal_or_none(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def aware(value: datetime) -> datetime:
    result = utc(value)
    assert result is not None
    return result


def chunks(items: list[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
