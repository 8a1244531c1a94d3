"""``PortfolioStore``: the portfolio's tables in the app DB (contract Phase 3 §7), by what they
hold. The rest of the portfolio never sees SQL.
"""

from sqlalchemy import Engine

from krakked_core.portfolio.store.history import HistoryStore
from krakked_core.portfolio.store.orders import OrderRecords
from krakked_core.portfolio.store.snapshots import SnapshotStore
from krakked_core.portfolio.store.state import StateStore, StoredBalances


class PortfolioStore:
    """The four stores on one engine."""

    def __init__(self, engine: Engine) -> None:
        self.history = HistoryStore(engine)
        self.state = StateStore(engine)
        self.orders = OrderRecords(engine)
        self.snapshots = SnapshotStore(engine)


__all__ = [
    "HistoryStore",
    "OrderRecords",
    "PortfolioStore",
    "SnapshotStore",
    "StateStore",
    "StoredBalances",
]
