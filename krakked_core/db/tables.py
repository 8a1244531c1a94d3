"""Import every table module so the metadata (and Alembic) sees the whole schema."""

from sqlalchemy import Column, DateTime, Integer, String, Table, Text

from krakked_core.db import market_tables  # noqa: F401  (registers its tables)
from krakked_core.db.control_plane_tables import audit_log  # noqa: F401
from krakked_core.db.control_tables import control_state  # noqa: F401
from krakked_core.db.decision_tables import decisions  # noqa: F401
from krakked_core.db.live_tables import data_status, live_bars, live_ticker  # noqa: F401
from krakked_core.db.metadata import metadata
from krakked_core.db.paper_tables import paper_ledger  # noqa: F401
from krakked_core.db.portfolio_tables import orders, portfolio_trades  # noqa: F401

maintenance_log = Table(
    "maintenance_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("event", String(64), nullable=False),
    Column("detail", Text, nullable=False, server_default=""),
)
