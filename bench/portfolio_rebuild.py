"""Time the portfolio books: a full replay of 100,000 trades, and a sync of 100 new ones.

    .venv/bin/python bench/portfolio_rebuild.py [--trades 100000] [--new 100] [--db URL]

Prints figures; asserts only that the replay and its baseline agree. History is written straight
into the store (as an initial sync would leave it); the sync then pulls only the new trades
through the paged account port. Each figure is printed beside a naive baseline measured in the
same run (so machine load moves both): the replay the straightforward way (every row read as a
mapping through the column types, a record built per trade, the PnL written with one UPDATE per
trade), and, for the sync, what a sync that replays the books from the start costs. The goals:
replay ≤ 1 s, sync ≤ 100 ms. Wall-clock and CPU time are both printed: on a shared machine the
CPU time moves less.
"""

import argparse
import bisect
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy import Engine

from krakked_core.clock import ManualClock
from krakked_core.config import PortfolioConfig
from krakked_core.db import make_engine, upgrade
from krakked_core.db.portfolio_tables import (
    portfolio_cash_flows,
    portfolio_ledger_entries,
    portfolio_trades,
)
from krakked_core.model.account import AccountBalances, ExchangeOrder, LedgerEntry, Page, TradeFill
from krakked_core.portfolio.cashflows import to_cash_flows
from krakked_core.portfolio.ledger import Ledger
from krakked_core.portfolio.models import CashFlowRecord, TradeEvent
from krakked_core.portfolio.service import PortfolioService
from krakked_core.portfolio.store import PortfolioStore

T = TypeVar("T")
T0 = datetime(2024, 1, 1, tzinfo=UTC)
PAGE = 50


class Prices:
    def get_latest_price(self, pair: str) -> Decimal:
        return Decimal("30000")


class Account:
    """A paged account over in-memory lists (Kraken's shape: newest first, 50 a page)."""

    def __init__(self) -> None:
        self.trades: list[TradeFill] = []
        self.ledger: list[LedgerEntry] = []
        self.balance: dict[str, Decimal] = {"USD": Decimal(0), "XBT": Decimal(0)}

    def add_deposit(self, amount: Decimal, at: datetime) -> None:
        self.ledger.append(
            LedgerEntry(
                f"LD{len(self.ledger)}",
                f"D{len(self.ledger)}",
                at,
                "deposit",
                "",
                "USD",
                amount,
                Decimal(0),
                kind="deposit",
            )
        )
        self.balance["USD"] += amount

    def add_trade(self, n: int, at: datetime) -> None:
        side = "buy" if n % 3 != 2 else "sell"
        price = Decimal(30000 + (n % 997))
        volume = Decimal("0.01")
        cost, fee = volume * price, (volume * price * Decimal("0.0026")).quantize(Decimal("1e-4"))
        tid = f"T{n:08d}"
        self.trades.append(
            TradeFill(tid, f"O{n:08d}", "XBTUSD", "XBT", "USD", side, price, volume, cost, fee, at)
        )
        sign = 1 if side == "buy" else -1
        self.ledger.append(
            LedgerEntry(
                f"L{n}a", tid, at, "trade", "", "XBT", sign * volume, Decimal(0), kind="trade"
            )
        )
        self.ledger.append(
            LedgerEntry(f"L{n}b", tid, at, "trade", "", "USD", -sign * cost, fee, kind="trade")
        )
        self.balance["XBT"] += sign * volume
        self.balance["USD"] += -sign * cost - fee

    def _page(self, items: list, offset: int, start: datetime | None) -> Page:
        # Items are appended in time order: bisect, so the fake's own paging costs nothing
        # measurable (a scan of every row per page was a third of the sync's figure).
        first = 0 if start is None else bisect.bisect_right(items, start, key=lambda i: i.time)
        newest = len(items) - offset
        page = items[max(first, newest - PAGE) : newest]
        page.reverse()
        return Page(items=tuple(page), count=len(items) - first)

    def trades_page(self, *, offset: int, start: datetime | None) -> Page[TradeFill]:
        return self._page(self.trades, offset, start)

    def ledger_page(self, *, offset: int, start: datetime | None) -> Page[LedgerEntry]:
        return self._page(self.ledger, offset, start)

    def closed_orders_page(self, *, offset: int, start: datetime | None) -> Page[ExchangeOrder]:
        return Page(items=(), count=0)

    def balances(self) -> AccountBalances:
        return AccountBalances(dict(self.balance))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trades", type=int, default=100_000)
    parser.add_argument("--new", type=int, default=100)
    parser.add_argument("--db", default=None, help="database URL (default: a temp SQLite file)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite:///{Path(tmp) / 'bench.db'}"
        engine = make_engine(url)
        upgrade(engine)
        store = PortfolioStore(engine)
        account = Account()
        account.add_deposit(Decimal(10**9), T0)
        for n in range(args.trades):
            account.add_trade(n, T0 + timedelta(seconds=n + 1))
        clock = ManualClock(T0 + timedelta(seconds=args.trades + 10))

        started = time.perf_counter()
        store.history.append_trades(
            account.trades, {t.trade_id: Decimal(1) for t in account.trades}, clock.now()
        )
        store.history.append_ledger_entries(account.ledger, {}, clock.now())
        store.history.append_cash_flows(to_cash_flows(account.ledger[:1], lambda a, q, t: None))
        newest = account.trades[-1].time
        for stream in ("trades", "ledgers", "orders"):
            store.state.set_mark(stream, newest, clock.now())
        print(
            f"stored {args.trades:,} trades + {len(account.ledger):,} ledger rows: "
            f"{time.perf_counter() - started:.2f} s"
        )

        service = PortfolioService(
            config=PortfolioConfig(), store=store, account=account, prices=Prices(), clock=clock
        )
        naive, naive_s = _timed(lambda: _naive_replay(engine))
        ledger, rebuild_s = _timed(service.rebuild)
        assert ledger.realized_total == naive, "the replay and the baseline disagree"
        print(
            f"rebuild from {args.trades:,} trades: {rebuild_s} (goal ≤ 1 s), "
            f"naive baseline {naive_s} (realized {ledger.realized_total:.2f} USD)"
        )

        for n in range(args.trades, args.trades + args.new):
            account.add_trade(n, T0 + timedelta(seconds=n + 20))
        clock.advance(args.new + 60)
        summary, sync_s = _timed(service.sync)
        print(
            f"sync of {summary.new_trades} new trades: {sync_s} (goal ≤ 100 ms), "
            f"a sync replaying from the start ≈ the rebuild's "
            f"(replayed from start: {summary.rebuilt}, drift: {summary.drift_detected})"
        )
        started = time.perf_counter()
        equity = service.get_equity()
        print(
            f"get_equity: {time.perf_counter() - started:.3f} s (equity {equity.equity_base:.2f})"
        )
        engine.dispose()


class _Took:
    """Wall-clock and CPU time of one call: on a shared machine the CPU time says more."""

    def __init__(self, wall: float, cpu: float) -> None:
        self.wall, self.cpu = wall, cpu

    def __str__(self) -> str:
        return f"{self.wall * 1000:,.0f} ms (CPU {self.cpu * 1000:,.0f} ms)"


def _timed(call: Callable[[], T]) -> tuple[T, _Took]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = call()
    return result, _Took(time.perf_counter() - wall, time.process_time() - cpu)


def _naive_replay(engine: Engine) -> Decimal:
    """The same replay the straightforward way; return its realized total."""
    t, le, c = portfolio_trades, portfolio_ledger_entries, portfolio_cash_flows
    with engine.begin() as conn:
        fees = {
            r["refid"]: r
            for r in conn.execute(sa.select(le).where(le.c.type == "trade")).mappings()
            if r["fee"] != 0
        }
        events: list[TradeEvent | CashFlowRecord] = []
        for r in conn.execute(sa.select(t)).mappings():
            fee = fees.get(r["trade_id"])
            fee_asset = fee["asset"] if fee else r["quote"]
            events.append(
                TradeEvent(
                    **{k: r[k] for k in ("trade_id", "order_txid", "pair", "base", "quote")},
                    **{k: r[k] for k in ("side", "price", "volume", "cost", "quote_usd")},
                    fee_asset=fee_asset,
                    fee=fee["fee"] if fee else r["fee"],
                    time=r["time"].replace(tzinfo=UTC),
                    fee_usd=(fee["fee"] if fee else r["fee"]) * r["quote_usd"],
                )
            )
        for r in conn.execute(sa.select(c)).mappings():
            events.append(
                CashFlowRecord(
                    **{k: r[k] for k in ("id", "asset", "amount", "fee", "type", "note")},
                    time=r["time"].replace(tzinfo=UTC),
                    value_usd=r["value_usd"],
                    refid=r["refid"],
                )
            )
        ledger = Ledger()
        records = ledger.apply_all(events)
        update = t.update().where(t.c.trade_id == sa.bindparam("tid"))
        conn.execute(
            update.values(pnl_usd=sa.bindparam("p")),
            [{"tid": r.trade_id, "p": r.pnl_quote} for r in records],
        )
    return ledger.realized_total


if __name__ == "__main__":
    main()
