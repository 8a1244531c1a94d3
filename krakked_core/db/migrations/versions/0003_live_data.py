"""Live market data published by the sidecar: latest tickers, live bars, feed status.

Revision ID: 0003_live_data
Revises: 0001_baseline
"""

import sqlalchemy as sa
from alembic import op

from krakked_core.db.metadata import DecimalText

revision = "0003_live_data"
down_revision = "0001_baseline"
branch_labels = ("live_data",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "live_ticker",
        sa.Column("pair", sa.String(32), primary_key=True),
        sa.Column("bid", DecimalText, nullable=False),
        sa.Column("ask", DecimalText, nullable=False),
        sa.Column("last", DecimalText, nullable=False),
        sa.Column("volume_24h", DecimalText, nullable=False),
        sa.Column("vwap_24h", DecimalText, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "live_bars",
        sa.Column("pair", sa.String(32), nullable=False),
        sa.Column("timeframe", sa.String(8), nullable=False),
        sa.Column("time", sa.BigInteger, nullable=False),
        sa.Column("open", sa.Float, nullable=False),
        sa.Column("high", sa.Float, nullable=False),
        sa.Column("low", sa.Float, nullable=False),
        sa.Column("close", sa.Float, nullable=False),
        sa.Column("vwap", sa.Float, nullable=False),
        sa.Column("volume", sa.Float, nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("closed", sa.Boolean, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("pair", "timeframe", "time", name="pk_live_bars"),
    )
    op.create_table(
        "data_status",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("rest_ok", sa.Boolean, nullable=False),
        sa.Column("ws_connected", sa.Boolean, nullable=False),
        sa.Column("last_message_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("fresh_pairs", sa.Text, nullable=False),
        sa.Column("stale_pairs", sa.Text, nullable=False),
        sa.Column("subscription_errors", sa.Text, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("data_status")
    op.drop_table("live_bars")
    op.drop_table("live_ticker")
