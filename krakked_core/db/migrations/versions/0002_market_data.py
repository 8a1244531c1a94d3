"""Market data: the persisted USD universe (universe_pairs) and its refresh log.

Revision ID: 0002_market_data
Revises: 0001_baseline
"""

import sqlalchemy as sa
from alembic import op

from krakked_core.db.metadata import DecimalText

revision = "0002_market_data"
down_revision = "0001_baseline"
branch_labels = ("market_data",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "universe_pairs",
        sa.Column("canonical", sa.String(32), nullable=False),
        sa.Column("raw_name", sa.String(32), nullable=False),
        sa.Column("base", sa.String(16), nullable=False),
        sa.Column("quote", sa.String(16), nullable=False),
        sa.Column("rest_symbol", sa.String(32), nullable=False),
        sa.Column("ws_symbol", sa.String(32), nullable=False),
        sa.Column("price_decimals", sa.Integer, nullable=False),
        sa.Column("volume_decimals", sa.Integer, nullable=False),
        sa.Column("cost_decimals", sa.Integer, nullable=False),
        sa.Column("lot_size", DecimalText, nullable=False),
        sa.Column("ordermin", DecimalText, nullable=False),
        sa.Column("costmin", DecimalText, nullable=True),
        sa.Column("tick_size", DecimalText, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("volume_24h_usd", DecimalText, nullable=True),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("canonical", name=op.f("pk_universe_pairs")),
    )
    op.create_table(
        "universe_refreshes",
        sa.Column("id", sa.Integer, nullable=False, autoincrement=True),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pair_count", sa.Integer, nullable=False),
        sa.Column("candidate_count", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_universe_refreshes")),
    )
    op.create_index(
        op.f("ix_universe_refreshes_refreshed_at"), "universe_refreshes", ["refreshed_at"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_universe_refreshes_refreshed_at"), table_name="universe_refreshes")
    op.drop_table("universe_refreshes")
    op.drop_table("universe_pairs")
