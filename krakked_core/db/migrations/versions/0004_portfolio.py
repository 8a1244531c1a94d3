"""Portfolio: trades, ledger entries, cash flows, exchange order tags, the OMS's order records,
snapshots, sync high-water marks and state.

Revision ID: 0004_portfolio
Revises: 0001_baseline
"""

import sqlalchemy as sa
from alembic import op

from krakked_core.db.metadata import DecimalText

revision = "0004_portfolio"
down_revision = "0001_baseline"
branch_labels = ("portfolio",)
depends_on = None

_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "portfolio_trades",
        sa.Column("trade_id", sa.String(64), primary_key=True),
        sa.Column("order_txid", sa.String(64), nullable=True),
        sa.Column("pair", sa.String(32), nullable=False),
        sa.Column("base", sa.String(16), nullable=False),
        sa.Column("quote", sa.String(16), nullable=False),
        sa.Column("side", sa.String(4), nullable=False),
        sa.Column("price", DecimalText, nullable=False),
        sa.Column("volume", DecimalText, nullable=False),
        sa.Column("cost", DecimalText, nullable=False),
        sa.Column("fee", DecimalText, nullable=False),
        sa.Column("time", _TZ, nullable=False),
        sa.Column("quote_usd", DecimalText, nullable=True),
        sa.Column("pnl_usd", DecimalText, nullable=True),
        sa.Column("ingested_at", _TZ, nullable=False),
    )
    _index("portfolio_trades", "order_txid", "pair", "time")
    op.create_table(
        "portfolio_ledger_entries",
        sa.Column("ledger_id", sa.String(64), primary_key=True),
        sa.Column("refid", sa.String(64), nullable=False),
        sa.Column("time", _TZ, nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("subtype", sa.String(32), nullable=False, server_default=""),
        sa.Column("asset", sa.String(16), nullable=False),
        sa.Column("amount", DecimalText, nullable=False),
        sa.Column("fee", DecimalText, nullable=False),
        sa.Column("balance", DecimalText, nullable=True),
        sa.Column("fee_usd", DecimalText, nullable=True),
        sa.Column("ingested_at", _TZ, nullable=False),
    )
    _index("portfolio_ledger_entries", "refid", "time")
    op.create_table(
        "portfolio_cash_flows",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("refid", sa.String(64), nullable=True),
        sa.Column("time", _TZ, nullable=False),
        sa.Column("asset", sa.String(16), nullable=False),
        sa.Column("amount", DecimalText, nullable=False),
        sa.Column("fee", DecimalText, nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("value_usd", DecimalText, nullable=True),
    )
    _index("portfolio_cash_flows", "time", "asset")
    op.create_table(
        "portfolio_exchange_orders",
        sa.Column("txid", sa.String(64), primary_key=True),
        sa.Column("pair", sa.String(32), nullable=False),
        sa.Column("side", sa.String(4), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("userref", sa.Integer, nullable=True),
        sa.Column("cl_ord_id", sa.String(64), nullable=True),
        sa.Column("opened_at", _TZ, nullable=True),
        sa.Column("closed_at", _TZ, nullable=True),
    )
    _index("portfolio_exchange_orders", "cl_ord_id")
    op.create_table(
        "orders",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("cl_ord_id", sa.String(64), nullable=True),
        sa.Column("userref", sa.Integer, nullable=True),
        sa.Column("strategy_id", sa.String(64), nullable=False),
        sa.Column("kraken_txid", sa.String(64), nullable=True),
        sa.Column("pair", sa.String(32), nullable=False),
        sa.Column("side", sa.String(4), nullable=False),
        sa.Column("order_type", sa.String(16), nullable=False),
        sa.Column("volume", DecimalText, nullable=False),
        sa.Column("price", DecimalText, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
        sa.Column("updated_at", _TZ, nullable=False),
        sa.UniqueConstraint("cl_ord_id", name="uq_orders_cl_ord_id"),
    )
    _index("orders", "strategy_id", "kraken_txid")
    op.create_table(
        "portfolio_snapshots",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("taken_at", _TZ, nullable=False),
        sa.Column("equity_usd", DecimalText, nullable=False),
        sa.Column("cash_usd", DecimalText, nullable=False),
        sa.Column("realized_pnl_usd", DecimalText, nullable=False),
        sa.Column("unrealized_pnl_usd", DecimalText, nullable=False),
        sa.Column("drift_flag", sa.Boolean, nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
    )
    _index("portfolio_snapshots", "taken_at")
    op.create_table(
        "portfolio_sync_marks",
        sa.Column("stream", sa.String(32), primary_key=True),
        sa.Column("high_water", _TZ, nullable=True),
        sa.Column("updated_at", _TZ, nullable=False),
    )
    op.create_table(
        "portfolio_state",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("updated_at", _TZ, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "portfolio_state",
        "portfolio_sync_marks",
        "portfolio_snapshots",
        "orders",
        "portfolio_exchange_orders",
        "portfolio_cash_flows",
        "portfolio_ledger_entries",
        "portfolio_trades",
    ):
        op.drop_table(table)


def _index(table: str, *columns: str) -> None:
    for column in columns:
        op.create_index(f"ix_{table}_{column}", table, [column])
