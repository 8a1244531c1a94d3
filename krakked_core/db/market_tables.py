"""Market-data tables: the persisted USD universe, shared by every process."""

from sqlalchemy import Column, DateTime, Integer, String, Table

from krakked_core.db.metadata import DecimalText, metadata

# The current universe: one row per canonical pair (PairMetadata), replaced whole on refresh.
universe_pairs = Table(
    "universe_pairs",
    metadata,
    Column("canonical", String(32), primary_key=True),
    Column("raw_name", String(32), nullable=False),
    Column("base", String(16), nullable=False),
    Column("quote", String(16), nullable=False),
    Column("rest_symbol", String(32), nullable=False),
    Column("ws_symbol", String(32), nullable=False),
    Column("price_decimals", Integer, nullable=False),
    Column("volume_decimals", Integer, nullable=False),
    Column("cost_decimals", Integer, nullable=False),
    Column("lot_size", DecimalText, nullable=False),
    Column("ordermin", DecimalText, nullable=False),
    Column("costmin", DecimalText, nullable=True),
    Column("tick_size", DecimalText, nullable=True),
    Column("status", String(16), nullable=False),
    Column("volume_24h_usd", DecimalText, nullable=True),
    Column("refreshed_at", DateTime(timezone=True), nullable=False),
)

# One row per refresh, so an empty universe still says when it was built.
universe_refreshes = Table(
    "universe_refreshes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("refreshed_at", DateTime(timezone=True), nullable=False, index=True),
    Column("pair_count", Integer, nullable=False),
    Column("candidate_count", Integer, nullable=False),
)
