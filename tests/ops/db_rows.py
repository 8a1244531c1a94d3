"""Fill every table of the app DB with a row, and read a whole DB back for comparison."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Engine

import krakked_core.db.tables  # noqa: F401  (registers every table)
from krakked_core.db.metadata import DecimalText, metadata

AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _value(column: sa.Column[Any], n: int) -> Any:
    kind = column.type
    if isinstance(kind, DecimalText):
        return Decimal(f"{n}.25")
    if isinstance(kind, sa.Boolean):
        return n % 2 == 0
    if isinstance(kind, sa.DateTime):
        return AT
    if isinstance(kind, sa.Integer):
        return n
    if isinstance(kind, sa.Float | sa.Numeric):
        return float(n)
    if isinstance(kind, sa.JSON):
        return {"n": n}
    if isinstance(kind, sa.LargeBinary):
        return b"x"
    return f"v{n}"


def fill_every_table(engine: Engine, rows: int = 2) -> set[str]:
    """Insert ``rows`` rows into each table that accepts generic values; return those filled."""
    filled = set()
    for table in metadata.sorted_tables:
        for n in range(1, rows + 1):
            row = {column.name: _value(column, n) for column in table.columns}
            try:
                with engine.begin() as conn:
                    conn.execute(table.insert().values(**row))
                filled.add(table.name)
            except sa.exc.DBAPIError:
                break  # a check constraint wants a value of its own: the table stays as it is
    return filled


def read_everything(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows, ordered by all columns, as the driver returns them."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for name in sorted(sa.inspect(conn).get_table_names()):
            table = sa.Table(name, sa.MetaData(), autoload_with=conn)
            query = sa.select(table).order_by(*table.columns)
            out[name] = [tuple(row) for row in conn.execute(query)]
    return out
