"""The sidecar loops an auth or nonce error stopped, shown with the feed status.

A branch of its own, beside ``live_data``: the feed status row keeps its shape.

Revision ID: 0008_stopped_loops
Revises: 0001_baseline
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_stopped_loops"
down_revision = "0001_baseline"
branch_labels = ("stopped_loops",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "data_status_loops",
        sa.Column("loop", sa.String(64), primary_key=True),
        sa.Column("error", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("data_status_loops")
