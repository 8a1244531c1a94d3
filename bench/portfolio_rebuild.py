"""Time the portfolio books: a full replay of 100,000 trades, and a sync of 100 new ones.

    .venv/bin/python bench/portfolio_rebuild.py [--trades 100000] [--new 100] [--db URL]

Prints figures; asserts nothing. History is written straight into the store (as an initial sync
would leave it); the sync then pulls only the new trades through the paged account port.
"""

import argparse
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from krakked_core.clock import ManualClock
from krakked_core.config import PortfolioConfig
from krakked_core.db import make_engine, upgrade
from krakked_core.model.account import AccountBalances, ExchangeOrder, LedgerEntry, Page, TradeFill
from krakked_core.portfolio.cashflows import to_cash_flows
from krakked_core.portfolio.service import PortfolioService
from krakked_core.portfolio.store import PortfolioStore

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
        newer = [i for i in items if start is None or i.time > start]
        newer.reverse()
        return Page(items=tuple(newer[offset : offset + PAGE]), count=len(newer))

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
        store.append_trades(
            account.trades, {t.trade_id: Decimal(1) for t in account.trades}, clock.now()
        )
        store.append_ledger_entries(account.ledger, {}, clock.now())
        store.append_cash_flows(to_cash_flows(account.ledger[:1], lambda a, q, t: None))
        newest = account.trades[-1].time
        for stream in ("trades", "ledgers", "orders"):
            store.set_mark(stream, newest, clock.now())
        print(
            f"stored {args.trades:,} trades + {len(account.ledger):,} ledger rows: "
            f"{time.perf_counter() - started:.2f} s"
        )

        service = PortfolioService(
            config=PortfolioConfig(), store=store, account=account, prices=Prices(), clock=clock
        )
        started = time.perf_counter()
        ledger = service.rebuild()
        print(
            f"rebuild from {args.trades:,} trades: {time.perf_counter() - started:.2f} s "
            f"(realized {ledger.realized_total:.2f} USD)"
        )

        for n in range(args.trades, args.trades + args.new):
            account.add_trade(n, T0 + timedelta(seconds=n + 20))
        clock.advance(args.new + 60)
        started = time.perf_counter()
        summary = service.sync()
        print(
            f"sync of {summary.new_trades} new trades: {time.perf_counter() - started:.2f} s "
            f"(replayed from start: {summary.rebuilt}, drift: {summary.drift_detected})"
        )
        started = time.perf_counter()
        equity = service.get_equity()
        print(
            f"get_equity: {time.perf_counter() - started:.3f} s (equity {equity.equity_base:.2f})"
        )
        engine.dispose()


if __name__ == "__main__":
    main()
