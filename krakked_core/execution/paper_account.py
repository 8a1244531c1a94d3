"""The paper account: balances, orders, fills and ledger of the paper venue, in the app DB.

It is the paper mode's ``AccountSource``: pages come newest first, ``offset`` rows in, after
``start`` (exclusive), 50 a page with ``count`` the total, as Kraken's do, so the portfolio
syncs paper history unchanged. The starting balances are written once, as deposits, on first
use. Each fill moves balances and writes its trade and both ledger legs in one transaction.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection, Engine

from krakked_core.clock import Clock
from krakked_core.db.paper_tables import paper_balances, paper_ledger, paper_orders, paper_trades
from krakked_core.errors import OrderError
from krakked_core.model.account import (
    AccountBalances,
    ExchangeOrder,
    LedgerEntry,
    Page,
    Side,
    TradeFill,
)

PAGE = 50
INSUFFICIENT_FUNDS = "EOrder:Insufficient funds"


@dataclass(frozen=True, slots=True)
class PaperFill:
    """One fill to book: ``cost`` in quote, ``fee`` in quote charged on top."""

    order_txid: str
    pair: str
    base: str
    quote: str
    side: Side
    price: Decimal
    volume: Decimal
    cost: Decimal
    fee: Decimal


def aware(when: datetime) -> datetime:
    """SQLite hands back naive datetimes; every time written here was UTC."""
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _dec(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


class PaperAccount:
    def __init__(self, engine: Engine, clock: Clock, starting: Mapping[str, Decimal]) -> None:
        self._engine, self._clock, self._starting = engine, clock, dict(starting)

    # --- writing -----------------------------------------------------------------------------

    def _seed(self, conn: Connection) -> None:
        if conn.execute(sa.select(sa.func.count()).select_from(paper_ledger)).scalar_one():
            return
        now = self._clock.now()
        for n, (asset, amount) in enumerate(sorted(self._starting.items())):
            conn.execute(paper_balances.insert().values(asset=asset, amount=str(amount)))
            conn.execute(
                paper_ledger.insert().values(
                    ledger_id=f"PL-SEED-{n}",
                    refid=f"PR-SEED-{n}",
                    time=now,
                    type="deposit",
                    kind="deposit",
                    asset=asset,
                    amount=str(amount),
                    fee="0",
                    balance=str(amount),
                )
            )

    def _balance(self, conn: Connection, asset: str) -> Decimal:
        row = conn.execute(
            sa.select(paper_balances.c.amount).where(paper_balances.c.asset == asset)
        ).first()
        return Decimal(row[0]) if row else Decimal(0)

    def check_funds(self, conn: Connection, fill: PaperFill) -> None:
        """Kraken's refusal when the quote (cost + fee) or the base sold is not there."""
        self._seed(conn)
        if fill.side == "buy":
            short = fill.cost + fill.fee > self._balance(conn, fill.quote)
        else:
            short = fill.volume > self._balance(conn, fill.base)
        if short:
            raise OrderError(INSUFFICIENT_FUNDS, kraken_errors=(INSUFFICIENT_FUNDS,))

    def book(self, conn: Connection, fill: PaperFill, trade_id: str) -> None:
        """Balances, the trade and its two ledger legs (in the caller's transaction)."""
        self.check_funds(conn, fill)
        now = self._clock.now()
        sign = 1 if fill.side == "buy" else -1
        conn.execute(
            paper_trades.insert().values(
                trade_id=trade_id,
                order_txid=fill.order_txid,
                pair=fill.pair,
                base=fill.base,
                quote=fill.quote,
                side=fill.side,
                price=str(fill.price),
                volume=str(fill.volume),
                cost=str(fill.cost),
                fee=str(fill.fee),
                time=now,
            )
        )
        legs = (
            (fill.base, sign * fill.volume, Decimal(0)),
            (fill.quote, -sign * fill.cost, fill.fee),
        )
        for i, (asset, amount, fee) in enumerate(legs):
            balance = self._balance(conn, asset) + amount - fee
            conn.execute(paper_balances.delete().where(paper_balances.c.asset == asset))
            conn.execute(paper_balances.insert().values(asset=asset, amount=str(balance)))
            conn.execute(
                paper_ledger.insert().values(
                    ledger_id=f"{trade_id}-L{i}",
                    refid=trade_id,
                    time=now,
                    type="trade",
                    kind="trade",
                    asset=asset,
                    amount=str(amount),
                    fee=str(fee),
                    balance=str(balance),
                )
            )

    # --- AccountSource -------------------------------------------------------------------------

    def _page(self, table: sa.Table, time_col: str, offset: int, start: datetime | None) -> Any:
        with self._engine.begin() as conn:
            self._seed(conn)
            col = table.c[time_col]
            where: list[sa.ColumnElement[bool]] = [col.is_not(None)]
            if start is not None:
                where.append(col > start)
            count = conn.execute(sa.select(sa.func.count()).select_from(table).where(*where))
            total = count.scalar_one()
            rows = (
                conn.execute(
                    sa.select(table)
                    .where(*where)
                    .order_by(col.desc(), table.c.seq.desc())
                    .offset(offset)
                    .limit(PAGE)
                )
                .mappings()
                .all()
            )
        return total, rows

    def trades_page(self, *, offset: int, start: datetime | None) -> Page[TradeFill]:
        total, rows = self._page(paper_trades, "time", offset, start)
        items = tuple(
            TradeFill(
                trade_id=r["trade_id"],
                order_txid=r["order_txid"],
                pair=r["pair"],
                base=r["base"],
                quote=r["quote"],
                side=r["side"],
                price=Decimal(r["price"]),
                volume=Decimal(r["volume"]),
                cost=Decimal(r["cost"]),
                fee=Decimal(r["fee"]),
                time=aware(r["time"]),
                ledger_ids=(f"{r['trade_id']}-L0", f"{r['trade_id']}-L1"),
            )
            for r in rows
        )
        return Page(items=items, count=total)

    def ledger_page(self, *, offset: int, start: datetime | None) -> Page[LedgerEntry]:
        total, rows = self._page(paper_ledger, "time", offset, start)
        items = tuple(
            LedgerEntry(
                ledger_id=r["ledger_id"],
                refid=r["refid"],
                time=aware(r["time"]),
                type=r["type"],
                subtype="",
                asset=r["asset"],
                amount=Decimal(r["amount"]),
                fee=Decimal(r["fee"]),
                balance=Decimal(r["balance"]),
                kind=r["kind"],
            )
            for r in rows
        )
        return Page(items=items, count=total)

    def closed_orders_page(self, *, offset: int, start: datetime | None) -> Page[ExchangeOrder]:
        total, rows = self._page(paper_orders, "closed_at", offset, start)
        return Page(items=tuple(order_from_row(r) for r in rows), count=total)

    def balances(self) -> AccountBalances:
        with self._engine.begin() as conn:
            self._seed(conn)
            rows = conn.execute(sa.select(paper_balances)).all()
        return AccountBalances({asset: Decimal(amount) for asset, amount in rows})


def order_from_row(r: Any) -> ExchangeOrder:
    return ExchangeOrder(
        txid=r["txid"],
        pair=r["pair"],
        side=r["side"],
        status=r["status"],
        userref=None,
        cl_ord_id=r["cl_ord_id"],
        opened_at=aware(r["opened_at"]),
        closed_at=aware(r["closed_at"]) if r["closed_at"] else None,
        order_type=r["order_type"],
        volume=Decimal(r["volume"]),
        filled_volume=Decimal(r["filled_volume"]),
        cost=Decimal(r["cost"]),
        fee=Decimal(r["fee"]),
        average_price=_dec(r["average_price"]),
        limit_price=_dec(r["limit_price"]),
        reason=r["reason"],
    )
