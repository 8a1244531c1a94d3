"""Tables of the portfolio (migration ``0004_portfolio``) and the OMS's order records.

Money is ``DecimalText`` (exact on every backend); times are aware UTC datetimes. Trades and
ledger entries are keyed by Kraken's own ids, which is what makes every sync idempotent.
"""

from sqlalchemy import Boolean, Column, DateTime, Integer, String, Table, Text

from krakked_core.db.metadata import DecimalText, metadata

# TradesHistory rows, valued in USD when ingested; ``pnl_usd`` is written by the books' replay.
portfolio_trades = Table(
    "portfolio_trades",
    metadata,
    Column("trade_id", String(64), primary_key=True),
    Column("order_txid", String(64), nullable=True, index=True),
    Column("pair", String(32), nullable=False, index=True),
    Column("base", String(16), nullable=False),
    Column("quote", String(16), nullable=False),
    Column("side", String(4), nullable=False),
    Column("price", DecimalText, nullable=False),
    Column("volume", DecimalText, nullable=False),
    Column("cost", DecimalText, nullable=False),
    Column("fee", DecimalText, nullable=False),
    Column("time", DateTime(timezone=True), nullable=False, index=True),
    Column("quote_usd", DecimalText, nullable=True),
    Column("pnl_usd", DecimalText, nullable=True),
    Column("ingested_at", DateTime(timezone=True), nullable=False),
)

# Ledgers rows, all of them (trade rows tell which asset paid a trade's fee).
portfolio_ledger_entries = Table(
    "portfolio_ledger_entries",
    metadata,
    Column("ledger_id", String(64), primary_key=True),
    Column("refid", String(64), nullable=False, index=True),
    Column("time", DateTime(timezone=True), nullable=False, index=True),
    Column("type", String(32), nullable=False),
    Column("subtype", String(32), nullable=False, server_default=""),
    Column("asset", String(16), nullable=False, index=True),  # each sync looks up KFEE rows
    Column("amount", DecimalText, nullable=False),
    Column("fee", DecimalText, nullable=False),
    Column("balance", DecimalText, nullable=True),
    Column("fee_usd", DecimalText, nullable=True),  # a fee in a third asset, priced when ingested
    Column("ingested_at", DateTime(timezone=True), nullable=False),
)

# Non-trade balance changes (deposits, withdrawals, rewards, transfers, adjustments …).
portfolio_cash_flows = Table(
    "portfolio_cash_flows",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("refid", String(64), nullable=True),
    Column("time", DateTime(timezone=True), nullable=False, index=True),
    Column("asset", String(16), nullable=False, index=True),
    Column("amount", DecimalText, nullable=False),
    Column("fee", DecimalText, nullable=False),
    Column("type", String(16), nullable=False),
    Column("note", Text, nullable=True),
    Column("value_usd", DecimalText, nullable=True),
)

# How the exchange says each closed order was tagged (ClosedOrders).
portfolio_exchange_orders = Table(
    "portfolio_exchange_orders",
    metadata,
    Column("txid", String(64), primary_key=True),
    Column("pair", String(32), nullable=False),
    Column("side", String(4), nullable=False),
    Column("status", String(16), nullable=False),
    Column("userref", Integer, nullable=True),
    Column("cl_ord_id", String(64), nullable=True, index=True),
    Column("opened_at", DateTime(timezone=True), nullable=True),
    Column("closed_at", DateTime(timezone=True), nullable=True),
)

# The OMS's local order records (the OMS writes them; attribution reads cl_ord_id → strategy).
orders = Table(
    "orders",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("cl_ord_id", String(64), nullable=True, unique=True),
    Column("userref", Integer, nullable=True),
    Column("strategy_id", String(64), nullable=False, index=True),
    Column("kraken_txid", String(64), nullable=True, index=True),
    Column("pair", String(32), nullable=False),
    Column("side", String(4), nullable=False),
    Column("order_type", String(16), nullable=False),
    Column("volume", DecimalText, nullable=False),
    Column("price", DecimalText, nullable=True),
    Column("status", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

portfolio_snapshots = Table(
    "portfolio_snapshots",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("taken_at", DateTime(timezone=True), nullable=False, index=True),
    Column("equity_usd", DecimalText, nullable=False),
    Column("cash_usd", DecimalText, nullable=False),
    Column("realized_pnl_usd", DecimalText, nullable=False),
    Column("unrealized_pnl_usd", DecimalText, nullable=False),
    Column("drift_flag", Boolean, nullable=False),
    # False: a holding could not be valued (equity leaves it out): never equity history.
    Column("complete", Boolean, nullable=False),
    Column("detail", Text, nullable=False),  # JSON: valuations and per-pair PnL, as strings
)

# Per history stream ("trades", "ledgers", "orders"): the newest time fully synced.
portfolio_sync_marks = Table(
    "portfolio_sync_marks",
    metadata,
    Column("stream", String(32), primary_key=True),
    Column("high_water", DateTime(timezone=True), nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Small JSON documents: the books' checkpoint, the last balances, the last reconciliation.
portfolio_state = Table(
    "portfolio_state",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
