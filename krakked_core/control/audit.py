"""The audit log: one row per operator mutation, however it ended (table ``audit_log``)."""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy import Engine, RowMapping

from krakked_core.clock import Clock
from krakked_core.db.control_plane_tables import audit_log

Outcome = Literal["ok", "refused", "failed"]


@dataclass(frozen=True, slots=True)
class Actor:
    """Who asks: the interface (``api``, ``cli``) and the remote address ("" when local)."""

    source: str
    client: str = ""


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: datetime
    action: str
    params: Mapping[str, Any]
    source: str
    client: str
    outcome: Outcome
    detail: str


class AuditLog:
    """Append and read audit entries."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock

    def record(
        self,
        action: str,
        params: Mapping[str, Any],
        actor: Actor,
        outcome: Outcome,
        detail: str = "",
    ) -> None:
        row = {
            "at": self._clock.now(),
            "action": action,
            "params": json.dumps(params, sort_keys=True, default=str),
            "source": actor.source,
            "client": actor.client[:128],
            "outcome": outcome,
            "detail": detail,
        }
        with self._engine.begin() as conn:
            conn.execute(audit_log.insert().values(**row))

    def recent(self, limit: int = 100, action: str | None = None) -> list[AuditEntry]:
        """The newest entries first."""
        query = sa.select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
        if action is not None:
            query = query.where(audit_log.c.action == action)
        with self._engine.connect() as conn:
            return [_entry(row) for row in conn.execute(query).mappings()]


def _entry(row: RowMapping) -> AuditEntry:
    at: datetime = row["at"]
    return AuditEntry(
        id=row["id"],
        # SQLite hands DateTime back naive; only UTC is ever written, so naive means UTC.
        at=at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC),
        action=row["action"],
        params=json.loads(row["params"]),
        source=row["source"],
        client=row["client"],
        outcome=row["outcome"],
        detail=row["detail"],
    )
