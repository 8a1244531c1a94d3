"""``HistoryStore``: the account's history as stored: trades (with each one's realized PnL),
ledger rows and the cash flows drawn from them.

Writes are idempotent on Kraken's ids (a row already stored is left as it was).
"""

from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Engine

from krakked_core.db.portfolio_tables import (
    portfolio_cash_flows,
    portfolio_ledger_entries,
    portfolio_trades,
)
from krakked_core.model.account import CashFlowType, LedgerEntry, TradeFill
from krakked_core.portfolio.assets import root
from krakked_core.portfolio.models import CashFlowRecord, TradeEvent
from krakked_core.portfolio.store.rows import (
    CHUNK,
    as_text,
    aware,
    chunks,
    decimal_or_none,
    insert_new,
    insert_new_in,
    time_read_as_text,
)

_KEYED = {
    "trades": (portfolio_trades, "trade_id"),
    "ledger": (portfolio_ledger_entries, "ledger_id"),
    "cash_flows": (portfolio_cash_flows, "id"),
}


class HistoryStore:
    """Reads and writes of the history tables."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def append_trades(
        self, fills: Sequence[TradeFill], quote_usd: dict[str, Decimal | None], at: datetime
    ) -> list[str]:
        """Store fills not stored yet (``quote_usd`` by trade id); return the new trade ids."""
        rows = [
            {
                "trade_id": f.trade_id,
                "order_txid": f.order_txid,
                "pair": f.pair,
                "base": f.base,
                "quote": f.quote,
                "side": f.side,
                "price": f.price,
                "volume": f.volume,
                "cost": f.cost,
                "fee": f.fee,
                "time": f.time,
                "quote_usd": quote_usd.get(f.trade_id),
                "pnl_usd": None,
                "ingested_at": at,
            }
            for f in fills
        ]
        return insert_new(self._engine, portfolio_trades, "trade_id", rows)

    def append_ledger_entries(
        self, entries: Sequence[LedgerEntry], fee_usd: dict[str, Decimal | None], at: datetime
    ) -> list[str]:
        return self.append_ledger_page(entries, fee_usd, [], at)[0]

    def append_ledger_page(
        self,
        entries: Sequence[LedgerEntry],
        fee_usd: dict[str, Decimal | None],
        cash_flows: Sequence[CashFlowRecord],
        at: datetime,
    ) -> tuple[list[str], list[str]]:
        """Store ledger rows and their cash flows in ONE transaction: both or neither.

        Returns the new ledger ids and the new cash-flow ids.
        """
        rows = [
            {
                "ledger_id": e.ledger_id,
                "refid": e.refid,
                "time": e.time,
                "type": e.type,
                "subtype": e.subtype,
                "asset": e.asset,
                "amount": e.amount,
                "fee": e.fee,
                "balance": e.balance,
                "fee_usd": fee_usd.get(e.ledger_id),
                "ingested_at": at,
            }
            for e in entries
        ]
        with self._engine.begin() as conn:
            ledger_ids = insert_new_in(conn, portfolio_ledger_entries, "ledger_id", rows)
            flow_ids = insert_new_in(conn, portfolio_cash_flows, "id", _cash_flow_rows(cash_flows))
        return ledger_ids, flow_ids

    def append_cash_flows(self, records: Sequence[CashFlowRecord]) -> list[str]:
        return insert_new(self._engine, portfolio_cash_flows, "id", _cash_flow_rows(records))

    def missing_ids(self, kind: str, ids: Iterable[str]) -> set[str]:
        """Those of ``ids`` not stored yet; ``kind`` is "trades", "ledger" or "cash_flows"."""
        table, key = _KEYED[kind]
        wanted = set(ids)
        column = table.c[key]
        with self._engine.connect() as conn:
            for chunk in chunks(list(wanted)):
                wanted.difference_update(
                    conn.execute(sa.select(column).where(column.in_(chunk))).scalars()
                )
        return wanted

    # --- reading -----------------------------------------------------------------------

    def load_trade_events(self, trade_ids: Iterable[str] | None = None) -> list[TradeEvent]:
        """Trades as the books apply them; the fee's asset comes from the trade's ledger rows.

        One query: each trade with the ledger row that carries its fee, if any (most trade
        rows carry none: one leg pays it). A replay reads every trade, so money columns come
        as their stored text and become ``Decimal`` here (see ``_text``).
        """
        t, le = portfolio_trades, portfolio_ledger_entries
        fees = (
            sa.select(le.c.refid, le.c.asset, as_text(le.c.fee), as_text(le.c.fee_usd))
            # The cast only tells zero from not; the fee itself is read as its exact text.
            .where(le.c.type == "trade", sa.cast(le.c.fee, sa.Numeric()) != 0)
            .subquery()
        )
        query = sa.select(
            t.c.trade_id,
            t.c.order_txid,
            t.c.pair,
            t.c.base,
            t.c.quote,
            t.c.side,
            *(as_text(t.c[k]) for k in ("price", "volume", "cost", "fee", "quote_usd", "time")),
            fees.c.asset,
            fees.c.fee,
            fees.c.fee_usd,
        ).outerjoin(fees, fees.c.refid == t.c.trade_id)
        with self._engine.connect() as conn:
            if trade_ids is None:
                rows = conn.execute(query).all()
            else:
                rows = []
                for chunk in chunks(list(trade_ids)):
                    rows.extend(conn.execute(query.where(t.c.trade_id.in_(chunk))).all())
        roots: dict[str, str] = {}  # a handful of fee assets over many rows
        events = {}  # by trade id: a trade with two fee rows keeps one, as a lookup by id would
        for row in rows:
            fee_asset = row[-3]
            if fee_asset is not None:
                fee_asset = roots.get(fee_asset) or roots.setdefault(fee_asset, root(fee_asset))
            events[row[0]] = _trade_event(row, fee_asset)
        return list(events.values())

    def trade_fee_assets(self, ledger_ids: Sequence[str]) -> dict[str, str]:
        """For trade ledger rows among ``ledger_ids`` that carry a fee: trade id → fee asset."""
        le = portfolio_ledger_entries
        found: dict[str, str] = {}
        with self._engine.connect() as conn:
            for chunk in chunks(list(ledger_ids)):
                query = sa.select(le.c.refid, le.c.asset, le.c.fee).where(
                    le.c.ledger_id.in_(chunk), le.c.type == "trade"
                )
                found.update({r.refid: r.asset for r in conn.execute(query) if r.fee != 0})
        return found

    def trades_exist(self, trade_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        """Stored trades among ``trade_ids``: id → (base, quote)."""
        t = portfolio_trades
        found: dict[str, tuple[str, str]] = {}
        with self._engine.connect() as conn:
            for chunk in chunks(list(trade_ids)):
                query = sa.select(t.c.trade_id, t.c.base, t.c.quote).where(t.c.trade_id.in_(chunk))
                found.update({r.trade_id: (r.base, r.quote) for r in conn.execute(query)})
        return found

    def load_cash_flows(self, ids: Iterable[str] | None = None) -> list[CashFlowRecord]:
        c = portfolio_cash_flows
        with self._engine.connect() as conn:
            if ids is None:
                rows = list(conn.execute(sa.select(c)).mappings())
            else:
                rows = []
                for chunk in chunks(list(ids)):
                    rows.extend(conn.execute(sa.select(c).where(c.c.id.in_(chunk))).mappings())
        return [_cash_flow(row) for row in rows]

    def unvalued_rows_of(
        self, asset: str
    ) -> tuple[list[tuple[str, Decimal, datetime]], list[CashFlowRecord]]:
        """Trade fees paid in ``asset`` (ledger id, fee, time) and inflows of it stored with no
        USD value."""
        le, c = portfolio_ledger_entries, portfolio_cash_flows
        fees = sa.select(le.c.ledger_id, le.c.fee, le.c.time).where(
            le.c.asset == asset, le.c.type == "trade", le.c.fee_usd.is_(None)
        )
        flows = sa.select(c).where(c.c.asset == asset, c.c.value_usd.is_(None))
        with self._engine.connect() as conn:
            fee_rows = [(r.ledger_id, r.fee, aware(r.time)) for r in conn.execute(fees) if r.fee]
            inflows = [_cash_flow(row) for row in conn.execute(flows).mappings()]
        return fee_rows, [f for f in inflows if f.net > 0]

    def set_usd_values(self, fee_usd: dict[str, Decimal], value_usd: dict[str, Decimal]) -> None:
        """Store USD values found later: fees by ledger id, inflows by cash-flow id."""
        updates = (
            (portfolio_ledger_entries, "ledger_id", "fee_usd", fee_usd),
            (portfolio_cash_flows, "id", "value_usd", value_usd),
        )
        with self._engine.begin() as conn:
            for table, key, column, values in updates:
                if values:
                    statement = table.update().where(table.c[key] == sa.bindparam("k"))
                    rows = [{"k": k, "v": v} for k, v in values.items()]
                    conn.execute(statement.values({column: sa.bindparam("v")}), rows)

    def cash_flow_refids(self, refids: Sequence[str], exclude: Sequence[str]) -> set[str]:
        """Refids among ``refids`` that stored cash flows outside ``exclude`` already carry."""
        c = portfolio_cash_flows
        found: set[str] = set()
        with self._engine.connect() as conn:
            for chunk in chunks(list(refids)):
                query = sa.select(c.c.refid, c.c.id).where(c.c.refid.in_(chunk))
                found.update(r.refid for r in conn.execute(query) if r.id not in set(exclude))
        return found

    def get_trades(
        self, pair: str | None = None, limit: int | None = None, since: datetime | None = None
    ) -> list[TradeEvent]:
        """Newest first."""
        t = portfolio_trades
        query = sa.select(t.c.trade_id).order_by(t.c.time.desc(), t.c.trade_id.desc())
        if pair:
            query = query.where(t.c.pair == pair)
        if since:
            query = query.where(t.c.time >= since)
        if limit is not None:
            query = query.limit(limit)
        with self._engine.connect() as conn:
            ids = list(conn.execute(query).scalars())
        events = {e.trade_id: e for e in self.load_trade_events(ids)}
        return [events[i] for i in ids]

    def trade_pnl(self, trade_ids: Sequence[str]) -> dict[str, Decimal | None]:
        t = portfolio_trades
        found: dict[str, Decimal | None] = {}
        with self._engine.connect() as conn:
            for chunk in chunks(list(trade_ids)):
                query = sa.select(t.c.trade_id, t.c.pnl_usd).where(t.c.trade_id.in_(chunk))
                found.update({r.trade_id: r.pnl_usd for r in conn.execute(query)})
        return found

    def all_trade_pnl(self) -> list[tuple[str, str, str | None, Decimal | None]]:
        """Every trade's (pair, base, order txid, realized PnL)."""
        t = portfolio_trades
        query = sa.select(t.c.pair, t.c.base, t.c.order_txid, t.c.pnl_usd)
        with self._engine.connect() as conn:
            return [(r.pair, r.base, r.order_txid, r.pnl_usd) for r in conn.execute(query)]

    def trades_of_asset_since(self, base: str, since: datetime) -> list[str | None]:
        """Order txids of trades in ``base`` at or after ``since`` (whose position it is)."""
        t = portfolio_trades
        query = sa.select(t.c.order_txid).where(t.c.base == base, t.c.time >= since)
        with self._engine.connect() as conn:
            return list(conn.execute(query).scalars())

    def save_trade_pnl(self, pnl: dict[str, Decimal]) -> None:
        """Store each trade's realized PnL: one UPDATE per chunk of trades, not one per trade.

        A replay writes every trade's PnL; row by row that was most of its time (on PostgreSQL
        each row was a round trip). ``UPDATE … FROM (VALUES …)`` reads the same on SQLite and
        PostgreSQL when the VALUES columns keep their default names (column1, column2).
        """
        mark = "?" if self._engine.dialect.paramstyle == "qmark" else "%s"
        rows = [(tid, format(value, "f")) for tid, value in pnl.items()]  # as DecimalText stores
        with self._engine.begin() as conn:
            for chunk in chunks(rows, CHUNK):
                # Only placeholders are spliced in; every value travels as a parameter.
                values = ", ".join([f"({mark}, {mark})"] * len(chunk))
                conn.exec_driver_sql(
                    f"UPDATE portfolio_trades SET pnl_usd = v.column2 FROM (VALUES {values}) AS v "  # noqa: S608
                    "WHERE portfolio_trades.trade_id = v.column1",
                    tuple(item for row in chunk for item in row),
                )

    def count_events(self) -> int:
        """Stored trades plus stored cash flows: what a complete replay applies."""
        with self._engine.connect() as conn:
            trades = conn.execute(sa.select(sa.func.count()).select_from(portfolio_trades))
            flows = conn.execute(sa.select(sa.func.count()).select_from(portfolio_cash_flows))
            return int(trades.scalar_one()) + int(flows.scalar_one())

    def get_cash_flows(
        self, asset: str | None = None, limit: int | None = None, since: datetime | None = None
    ) -> list[CashFlowRecord]:
        """Newest first; ``asset`` matches the asset and its suffix variants."""
        c = portfolio_cash_flows
        query = sa.select(c).order_by(c.c.time.desc(), c.c.id.desc())
        if since:
            query = query.where(c.c.time >= since)
        if limit is not None and not asset:
            query = query.limit(limit)
        with self._engine.connect() as conn:
            records = [_cash_flow(row) for row in conn.execute(query).mappings()]
        if asset:
            records = [r for r in records if root(r.asset) == root(asset) or r.asset == asset]
        return records[:limit] if limit is not None else records


# --- row mapping -----------------------------------------------------------------------------


def _trade_event(row: Any, fee_root: str | None) -> TradeEvent:
    """A row of ``load_trade_events``' query; ``fee_root`` the root of its fee row's asset."""
    trade_id, order_txid, pair, base, quote, side, *money, time, _asset, fee, fee_usd = row
    price, volume, cost = Decimal(money[0]), Decimal(money[1]), Decimal(money[2])
    quote_usd = decimal_or_none(money[4])
    if fee_root is None:
        fee_asset, amount, fee_value = quote, Decimal(money[3]), None
    else:
        fee_asset, amount, fee_value = fee_root, Decimal(fee), decimal_or_none(fee_usd)
    if fee_asset == quote and quote_usd is not None:
        fee_value = amount * quote_usd
    elif fee_asset == base and quote_usd is not None:
        fee_value = amount * price * quote_usd
    return TradeEvent(
        trade_id,
        order_txid,
        pair,
        base,
        quote,
        side,
        price,
        volume,
        cost,
        fee_asset,
        amount,
        time_read_as_text(time),
        quote_usd,
        fee_value,
    )


def _cash_flow(row: Any) -> CashFlowRecord:
    kind: CashFlowType = row["type"]
    return CashFlowRecord(
        id=row["id"],
        time=aware(row["time"]),
        asset=row["asset"],
        amount=row["amount"],
        fee=row["fee"],
        type=kind,
        note=row["note"],
        value_usd=row["value_usd"],
        refid=row["refid"],
    )


def _cash_flow_rows(records: Sequence[CashFlowRecord]) -> list[dict[str, Any]]:
    rows = [
        {
            "id": r.id,
            "refid": r.refid,
            "time": r.time,
            "asset": r.asset,
            "amount": r.amount,
            "fee": r.fee,
            "type": r.type,
            "note": r.note,
            "value_usd": r.value_usd,
        }
        for r in records
    ]
    return rows
