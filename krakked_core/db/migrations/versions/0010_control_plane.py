"""Control plane: the audit log of operator actions and the runtime config overlay.

A branch of its own from the baseline, beside ``control`` (the kill switch's tables).

Revision ID: 0010_control_plane
Revises: 0001_baseline
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_control_plane"
down_revision = "0001_baseline"
branch_labels = ("control_plane",)
depends_on = None

_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", _TZ, nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("params", sa.Text, nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("client", sa.String(128), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_table(
        "config_overlay",
        sa.Column("section", sa.String(128), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("updated_at", _TZ, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("config_overlay")
    op.drop_table("audit_log")
