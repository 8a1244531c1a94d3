"""Operator controls: the manual kill switch's current state and every change to it.

Revision ID: 0007_control_state
Revises: 0001_baseline
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_control_state"
down_revision = "0001_baseline"
branch_labels = ("control",)
depends_on = None

_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "control_state",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("updated_at", _TZ, nullable=False),
    )
    op.create_table(
        "control_state_history",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("at", _TZ, nullable=False),
    )
    op.create_index("ix_control_state_history_key", "control_state_history", ["key"])


def downgrade() -> None:
    op.drop_table("control_state_history")
    op.drop_table("control_state")
