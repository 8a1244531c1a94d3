"""The clock every process sharing the app database agrees on.

Processes on different hosts share PostgreSQL, and their wall clocks differ; the server's clock
is one clock for all of them. SQLite lives on one host, whose clock its processes share already.
"""

from datetime import UTC, datetime

from sqlalchemy import Engine, func, select

from krakked_core.clock import Clock
from krakked_core.errors import DatabaseError


class DatabaseServerClock:
    """PostgreSQL's ``now()``: one query per reading."""

    def __init__(self, engine: Engine) -> None:
        if engine.dialect.name != "postgresql":
            raise DatabaseError(f"a server clock needs PostgreSQL, not {engine.dialect.name}")
        self._engine = engine

    def now(self) -> datetime:
        with self._engine.connect() as conn:
            moment: datetime = conn.execute(select(func.now())).scalar_one()
        return moment.astimezone(UTC)


def shared_clock(engine: Engine, host: Clock) -> Clock:
    """The clock ages of shared data are judged on: the server's on PostgreSQL, else ``host``."""
    if engine.dialect.name == "postgresql":
        return DatabaseServerClock(engine)
    return host
