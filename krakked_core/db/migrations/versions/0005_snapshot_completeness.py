"""Portfolio snapshots say whether every holding was valued (``complete``).

A partial snapshot's equity leaves out what could not be priced, so equity history skips it.
Snapshots stored before this revision are marked from their own valuations: partial when any
of them has no value.

Revision ID: 0005_snapshot_completeness
Revises: 0004_portfolio
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0005_snapshot_completeness"
down_revision = "0004_portfolio"
branch_labels = None
depends_on = None

_snapshots = sa.table(
    "portfolio_snapshots",
    sa.column("id", sa.Integer),
    sa.column("detail", sa.Text),
    sa.column("complete", sa.Boolean),
)


def upgrade() -> None:
    op.add_column("portfolio_snapshots", sa.Column("complete", sa.Boolean, nullable=True))
    conn = op.get_bind()
    partial = [
        row.id
        for row in conn.execute(sa.select(_snapshots.c.id, _snapshots.c.detail))
        if _has_unvalued(row.detail)
    ]
    conn.execute(_snapshots.update().values(complete=True))
    if partial:
        mark = _snapshots.update().where(_snapshots.c.id == sa.bindparam("sid"))
        conn.execute(mark.values(complete=False), [{"sid": sid} for sid in partial])
    with op.batch_alter_table("portfolio_snapshots") as batch:
        batch.alter_column("complete", existing_type=sa.Boolean, nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("portfolio_snapshots") as batch:
        batch.drop_column("complete")


def _has_unvalued(detail: str) -> bool:
    return any(v["value_base"] is None for v in json.loads(detail)["asset_valuations"])
