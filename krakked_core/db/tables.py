"""Import every table module so the metadata (and Alembic) sees the whole schema."""

from sqlalchemy import Column, DateTime, Integer, String, Table, Text

from krakked_core.db.metadata import metadata

maintenance_log = Table(
    "maintenance_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("event", String(64), nullable=False),
    Column("detail", Text, nullable=False, server_default=""),
)
