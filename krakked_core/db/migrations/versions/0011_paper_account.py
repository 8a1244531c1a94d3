"""Paper account: balances, orders, fills and ledger of the paper venue.

A branch of its own from the baseline, beside ``control_plane``.

Revision ID: 0011_paper_account
Revises: 0001_baseline
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0011_paper_account"
down_revision = "0001_baseline"
branch_labels = ("paper_account",)
depends_on = None

_TZ = sa.DateTime(timezone=True)


def _seq() -> sa.Column[Any]:
    return sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True)


def upgrade() -> None:
    op.create_table(
        "paper_balances",
        sa.Column("asset", sa.String(32), primary_key=True),
        sa.Column("amount", sa.Text, nullable=False),
    )
    op.create_table(
        "paper_orders",
        _seq(),
        sa.Column("txid", sa.String(64), nullable=False, unique=True),
        sa.Column("cl_ord_id", sa.String(64), nullable=True),
        sa.Column("pair", sa.String(32), nullable=False),
        sa.Column("side", sa.String(4), nullable=False),
        sa.Column("order_type", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("volume", sa.Text, nullable=False),
        sa.Column("limit_price", sa.Text, nullable=True),
        sa.Column("filled_volume", sa.Text, nullable=False),
        sa.Column("cost", sa.Text, nullable=False),
        sa.Column("fee", sa.Text, nullable=False),
        sa.Column("average_price", sa.Text, nullable=True),
        sa.Column("opened_at", _TZ, nullable=False),
        sa.Column("closed_at", _TZ, nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
    )
    op.create_index("ix_paper_orders_cl_ord_id", "paper_orders", ["cl_ord_id"])
    op.create_index("ix_paper_orders_closed_at", "paper_orders", ["closed_at"])
    op.create_table(
        "paper_trades",
        _seq(),
        sa.Column("trade_id", sa.String(64), nullable=False, unique=True),
        sa.Column("order_txid", sa.String(64), nullable=False),
        sa.Column("pair", sa.String(32), nullable=False),
        sa.Column("base", sa.String(32), nullable=False),
        sa.Column("quote", sa.String(32), nullable=False),
        sa.Column("side", sa.String(4), nullable=False),
        sa.Column("price", sa.Text, nullable=False),
        sa.Column("volume", sa.Text, nullable=False),
        sa.Column("cost", sa.Text, nullable=False),
        sa.Column("fee", sa.Text, nullable=False),
        sa.Column("time", _TZ, nullable=False),
    )
    op.create_index("ix_paper_trades_time", "paper_trades", ["time"])
    op.create_table(
        "paper_ledger",
        _seq(),
        sa.Column("ledger_id", sa.String(64), nullable=False, unique=True),
        sa.Column("refid", sa.String(64), nullable=False),
        sa.Column("time", _TZ, nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("asset", sa.String(32), nullable=False),
        sa.Column("amount", sa.Text, nullable=False),
        sa.Column("fee", sa.Text, nullable=False),
        sa.Column("balance", sa.Text, nullable=False),
    )
    op.create_index("ix_paper_ledger_time", "paper_ledger", ["time"])


def downgrade() -> None:
    op.drop_table("paper_ledger")
    op.drop_table("paper_trades")
    op.drop_table("paper_orders")
    op.drop_table("paper_balances")
