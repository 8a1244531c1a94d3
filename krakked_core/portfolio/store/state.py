"""``StateStore``: what the portfolio keeps between syncs: each history stream's high-water mark,
the books' checkpoint, the balances last read and the last reconciliation.

The last three are JSON documents in ``portfolio_state`` (see ``persisted``), each under a key
only this module knows.
"""

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Engine

from krakked_core.db.portfolio_tables import portfolio_state, portfolio_sync_marks
from krakked_core.model.account import AccountBalances
from krakked_core.portfolio.models import Reconciliation
from krakked_core.portfolio.persisted import (
    balances_from_state,
    balances_to_state,
    reconciliation_from_state,
    reconciliation_to_state,
)
from krakked_core.portfolio.store.rows import utc

_BOOKS, _BALANCES, _RECONCILIATION = "ledger", "balances", "reconciliation"


@dataclass(frozen=True)
class StoredBalances:
    """``Balance`` as the last sync read it."""

    amounts: dict[str, Decimal]
    as_of: datetime


class StateStore:
    """Reads and writes of ``portfolio_sync_marks`` and ``portfolio_state``."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def get_mark(self, stream: str) -> datetime | None:
        m = portfolio_sync_marks
        with self._engine.connect() as conn:
            value = conn.execute(sa.select(m.c.high_water).where(m.c.stream == stream)).scalar()
        return utc(value)

    def set_mark(self, stream: str, high_water: datetime, at: datetime) -> None:
        m = portfolio_sync_marks
        with self._engine.begin() as conn:
            conn.execute(m.delete().where(m.c.stream == stream))
            conn.execute(m.insert().values(stream=stream, high_water=high_water, updated_at=at))

    def save_state(self, state: dict[str, Any], at: datetime) -> None:
        """The books' checkpoint (contract §7 ``save_state``)."""
        self._put(_BOOKS, state, at)

    def load_state(self) -> dict[str, Any] | None:
        return self._get(_BOOKS)

    def save_balances(self, balances: AccountBalances, at: datetime) -> None:
        self._put(_BALANCES, balances_to_state(balances, at), at)

    def balances(self) -> StoredBalances | None:
        document = self._get(_BALANCES)
        return StoredBalances(*balances_from_state(document)) if document else None

    def save_reconciliation(self, result: Reconciliation, at: datetime) -> None:
        self._put(_RECONCILIATION, reconciliation_to_state(result), at)

    def reconciliation(self) -> Reconciliation | None:
        document = self._get(_RECONCILIATION)
        return reconciliation_from_state(document) if document else None

    def _get(self, key: str) -> dict[str, Any] | None:
        s = portfolio_state
        with self._engine.connect() as conn:
            value = conn.execute(sa.select(s.c.value).where(s.c.key == key)).scalar()
        return json.loads(value) if value is not None else None

    def _put(self, key: str, value: dict[str, Any], at: datetime) -> None:
        s = portfolio_state
        with self._engine.begin() as conn:
            conn.execute(s.delete().where(s.c.key == key))
            conn.execute(s.insert().values(key=key, value=json.dumps(value), updated_at=at))
