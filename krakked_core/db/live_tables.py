"""Tables of the live market data the sidecar publishes (migrations ``0003_live_data``, and
``0008_stopped_loops`` for ``data_status_loops``).

Ticker prices are exact (``DecimalText``); candle values are floats like ``Bar`` itself. Times
are aware UTC datetimes; bar times are epoch seconds of the bar's open, as everywhere else.
"""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

from krakked_core.db.metadata import DecimalText, metadata

# The latest ticker per canonical pair; ``updated_at`` is when the sidecar received it.
live_ticker = Table(
    "live_ticker",
    metadata,
    Column("pair", String(32), primary_key=True),
    Column("bid", DecimalText, nullable=False),
    Column("ask", DecimalText, nullable=False),
    Column("last", DecimalText, nullable=False),
    Column("volume_24h", DecimalText, nullable=False),
    Column("vwap_24h", DecimalText, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Live candles: the running one (closed = false) and each closed one, upserted on the key.
live_bars = Table(
    "live_bars",
    metadata,
    Column("pair", String(32), nullable=False),
    Column("timeframe", String(8), nullable=False),
    Column("time", BigInteger, nullable=False),
    Column("open", Float, nullable=False),
    Column("high", Float, nullable=False),
    Column("low", Float, nullable=False),
    Column("close", Float, nullable=False),
    Column("vwap", Float, nullable=False),
    Column("volume", Float, nullable=False),
    Column("count", Integer, nullable=False),
    Column("closed", Boolean, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("pair", "timeframe", "time"),
)

# One row (id = 1): the sidecar's latest view of the feed. Lists are JSON arrays of strings.
data_status = Table(
    "data_status",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("rest_ok", Boolean, nullable=False),
    Column("ws_connected", Boolean, nullable=False),
    Column("last_message_at", DateTime(timezone=True), nullable=True),
    Column("fresh_pairs", Text, nullable=False),
    Column("stale_pairs", Text, nullable=False),
    Column("subscription_errors", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# The sidecar loops an auth or nonce error stopped, one row each, published with the status.
data_status_loops = Table(
    "data_status_loops",
    metadata,
    Column("loop", String(64), primary_key=True),
    Column("error", Text, nullable=False),
)
