"""Ledger rows indexed by asset: every sync looks up the fee-credit (KFEE) rows still unvalued.

Without it that lookup read the whole ledger each sync (15 of a 100-trade sync's 45 ms CPU with
200,000 rows stored).

Revision ID: 0009_ledger_asset_index
Revises: 0005_snapshot_completeness
"""

from alembic import op

revision = "0009_ledger_asset_index"
down_revision = "0005_snapshot_completeness"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_portfolio_ledger_entries_asset", "portfolio_ledger_entries", ["asset"])


def downgrade() -> None:
    op.drop_index("ix_portfolio_ledger_entries_asset", table_name="portfolio_ledger_entries")
