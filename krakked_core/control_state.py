"""The operator's controls in the app DB: the manual kill switch and every change to it.

The CLI writes it now and the API will; the decision cycle reads it fresh every cycle, so a
switch flipped in any process stops the next cycle from opening risk. Each change updates the
current state and appends to the history in one transaction: both land, or neither.
"""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy import Engine

from krakked_core.clock import Clock
from krakked_core.db.control_tables import control_state, control_state_history

logger = logging.getLogger(__name__)

KILL_SWITCH = "kill_switch"
# What the operator types to clear the kill switch (the CLI asks for it; the API will too).
KILL_SWITCH_OFF_PHRASE = "DISABLE KILL SWITCH"


@dataclass(frozen=True, slots=True)
class KillSwitchState:
    """The manual kill switch now; ``changed_at`` is None when it was never set."""

    active: bool
    reason: str
    source: str
    changed_at: datetime | None


class ControlStateStore:
    """Read and change the operator's controls."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock

    def kill_switch(self) -> KillSwitchState:
        """The manual kill switch as stored now (off when never set)."""
        query = sa.select(control_state).where(control_state.c.key == KILL_SWITCH)
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            return KillSwitchState(active=False, reason="", source="", changed_at=None)
        return _state(row.active, row.reason, row.source, row.updated_at)

    def set_kill_switch(self, active: bool, *, reason: str, source: str) -> KillSwitchState:
        """Turn the manual kill switch on or off, recording who did it and why."""
        now = self._clock.now()
        values = {"active": active, "reason": reason, "source": source}
        with self._engine.begin() as conn:
            updated = conn.execute(
                control_state.update()
                .where(control_state.c.key == KILL_SWITCH)
                .values(**values, updated_at=now)
            ).rowcount
            if not updated:
                conn.execute(
                    control_state.insert().values(key=KILL_SWITCH, **values, updated_at=now)
                )
            conn.execute(control_state_history.insert().values(key=KILL_SWITCH, **values, at=now))
        if active:
            logger.critical("manual kill switch ON (%s): %s", source, reason or "no reason given")
        else:
            logger.warning("manual kill switch OFF (%s): %s", source, reason or "no reason given")
        return KillSwitchState(active=active, reason=reason, source=source, changed_at=now)

    def kill_switch_history(self, limit: int = 50) -> list[KillSwitchState]:
        """Every change of the manual kill switch, newest first."""
        h = control_state_history
        query = sa.select(h).where(h.c.key == KILL_SWITCH).order_by(h.c.id.desc()).limit(limit)
        with self._engine.connect() as conn:
            return [_state(r.active, r.reason, r.source, r.at) for r in conn.execute(query)]


def _state(active: bool, reason: str, source: str, at: datetime) -> KillSwitchState:
    # SQLite hands DateTime back naive; only UTC is ever written, so naive means UTC.
    aware = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return KillSwitchState(active=bool(active), reason=reason, source=source, changed_at=aware)
