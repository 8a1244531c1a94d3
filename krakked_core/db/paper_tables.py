"""Tables of the paper account (migration ``0011_paper_account``).

The paper venue's own books: balances per asset, its orders, its fills and its ledger, so the
portfolio reads paper history through ``AccountSource`` exactly as it reads Kraken's. Money is
Decimal TEXT; ``seq`` orders rows written at the same moment (newest first = highest seq).
"""

from sqlalchemy import Column, DateTime, Integer, String, Table, Text

from krakked_core.db.metadata import metadata

paper_balances = Table(
    "paper_balances",
    metadata,
    Column("asset", String(32), primary_key=True),
    Column("amount", Text, nullable=False),
)

paper_orders = Table(
    "paper_orders",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("txid", String(64), nullable=False, unique=True),
    Column("cl_ord_id", String(64), nullable=True, index=True),
    Column("pair", String(32), nullable=False),
    Column("side", String(4), nullable=False),
    Column("order_type", String(16), nullable=False),
    Column("status", String(16), nullable=False),  # open | closed | canceled | expired
    Column("volume", Text, nullable=False),
    Column("limit_price", Text, nullable=True),
    Column("filled_volume", Text, nullable=False),
    Column("cost", Text, nullable=False),
    Column("fee", Text, nullable=False),
    Column("average_price", Text, nullable=True),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("closed_at", DateTime(timezone=True), nullable=True, index=True),
    Column("reason", Text, nullable=True),
)

paper_trades = Table(
    "paper_trades",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("trade_id", String(64), nullable=False, unique=True),
    Column("order_txid", String(64), nullable=False),
    Column("pair", String(32), nullable=False),
    Column("base", String(32), nullable=False),
    Column("quote", String(32), nullable=False),
    Column("side", String(4), nullable=False),
    Column("price", Text, nullable=False),
    Column("volume", Text, nullable=False),
    Column("cost", Text, nullable=False),
    Column("fee", Text, nullable=False),
    Column("time", DateTime(timezone=True), nullable=False, index=True),
)

paper_ledger = Table(
    "paper_ledger",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("ledger_id", String(64), nullable=False, unique=True),
    Column("refid", String(64), nullable=False),
    Column("time", DateTime(timezone=True), nullable=False, index=True),
    Column("type", String(32), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("asset", String(32), nullable=False),
    Column("amount", Text, nullable=False),
    Column("fee", Text, nullable=False),
    Column("balance", Text, nullable=False),
)
