"""Nothing lost on the way in: cash flows written with their ledger rows, pair names from
AssetPairs, and no high-water mark past a row that could not be read."""

from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from krakked_core.clock import ManualClock
from krakked_core.config import PortfolioConfig
from krakked_core.connection.account_source import KrakenAccountSource
from krakked_core.connection.prices import KrakenHistoricalPrices
from krakked_core.db import make_engine, upgrade
from krakked_core.model.account import Page, TradeFill
from krakked_core.portfolio.service import PortfolioService
from krakked_core.portfolio.store import PortfolioStore
from tests.fakes.account import FakeAccount, FixedPrices, OhlcServer, at, d


def _sqlite(tmp_path: Path) -> sa.Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'books.db'}")
    upgrade(engine)
    return engine


def test_sync_killed_while_writing_cash_flows_then_rerun_books_the_deposit(tmp_path: Path) -> None:
    engine = _sqlite(tmp_path)
    account = FakeAccount()
    account.deposit("USD", "1000", at(0))
    account.trade("buy", "0.01", "30000", at(1), fee="1")
    prices = FixedPrices({"XBTUSD": "30000"})
    service = PortfolioService(
        config=PortfolioConfig(),
        store=PortfolioStore(engine),
        account=account,
        prices=prices,
        clock=ManualClock(at(100)),
        history=prices,
    )
    with engine.begin() as conn:  # the process dies as the cash flows are written
        conn.exec_driver_sql(
            "CREATE TRIGGER killed BEFORE INSERT ON portfolio_cash_flows "
            "BEGIN SELECT RAISE(ABORT, 'killed'); END"
        )
    with pytest.raises(sa.exc.DBAPIError):
        service.sync()
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER killed")

    service.sync()

    assert [f.amount for f in service.get_cash_flows()] == [d(1000)]
    equity = service.get_equity()
    assert equity.cash_base == d(1000) - 300 - 1
    assert equity.drift_flag is False
    engine.dispose()


# --- a Kraken-shaped client -------------------------------------------------------------------


def _pair(raw: str, altname: str, base: str, quote: str) -> tuple[str, dict[str, Any]]:
    entry = {
        "altname": altname,
        "wsname": f"{base}/{quote}",
        "aclass_base": "currency",
        "aclass_quote": "currency",
        "base": base,
        "quote": quote,
        "cost_decimals": 5,
        "pair_decimals": 4,
        "lot_decimals": 8,
        "ordermin": "0.1",
        "status": "online",
    }
    return raw, entry


class KrakenShaped:
    """TradesHistory / AssetPairs / Ledgers / ClosedOrders / Balance results, Kraken's shapes."""

    def __init__(self) -> None:
        self.pairs = dict([_pair("XXBTZUSD", "XBTUSD", "XXBT", "ZUSD")])
        self.rows: dict[str, dict[str, Any]] = {}
        self.asset_pairs_calls = 0

    def list_pair(self, raw: str, altname: str, base: str, quote: str) -> None:
        self.pairs.update([_pair(raw, altname, base, quote)])

    def fill(self, txid: str, pair: str, when: datetime, vol: str, price: str) -> None:
        cost = Decimal(vol) * Decimal(price)
        self.rows[txid] = {
            "ordertxid": f"O-{txid}",
            "pair": pair,
            "time": when.timestamp(),
            "type": "buy",
            "ordertype": "market",
            "price": price,
            "cost": str(cost),
            "fee": "0",
            "vol": vol,
        }

    def asset_pairs(self, pairs: Any = None) -> Any:
        self.asset_pairs_calls += 1
        return dict(self.pairs)

    def trades_history(self, ofs: int | None = None, start: Any = None, end: Any = None) -> Any:
        rows = sorted(
            ((k, r) for k, r in self.rows.items() if start is None or r["time"] > start),
            key=lambda kv: -kv[1]["time"],
        )
        page = dict(rows[ofs or 0 : (ofs or 0) + 50])
        return {"trades": page, "count": len(rows)}

    def ledgers(self, ofs: Any = None, start: Any = None, end: Any = None, type: Any = None) -> Any:
        return {"ledger": {}, "count": 0}

    def closed_orders(self, ofs: Any = None, start: Any = None, **_: Any) -> Any:
        return {"closed": {}, "count": 0}

    def balance(self) -> Any:
        return {}


def test_pair_names_when_trades_parsed_then_split_by_asset_pairs_not_guessed() -> None:
    client = KrakenShaped()
    client.list_pair("XTZUSD", "XTZUSD", "XTZ", "ZUSD")
    client.list_pair("SOLEUR", "SOLEUR", "SOL", "ZEUR")
    client.fill("T1", "XTZUSD", at(1), "10", "0.9")
    client.fill("T2", "XXBTZUSD", at(2), "0.1", "30000")
    client.fill("T3", "SOLEUR", at(3), "1", "150")
    source = KrakenAccountSource(client)

    page = source.trades_page(offset=0, start=None)
    source.trades_page(offset=0, start=None)

    legs = {f.trade_id: (f.base, f.quote, f.pair) for f in page.items}
    assert legs == {
        "T1": ("XTZ", "USD", "XTZUSD"),
        "T2": ("XBT", "USD", "XBTUSD"),
        "T3": ("SOL", "EUR", "SOLEUR"),
    }
    assert client.asset_pairs_calls == 1  # once, not per page


def test_unreadable_row_when_synced_then_mark_stays_before_it_and_it_is_booked_later(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    engine = _sqlite(tmp_path)
    client = KrakenShaped()
    client.fill("T1", "XXBTZUSD", at(1), "0.1", "30000")
    client.fill("T2", "FOOQQQ", at(2), "5", "2")  # a pair AssetPairs does not know (yet)
    client.fill("T3", "XXBTZUSD", at(3), "0.1", "31000")

    def sync() -> PortfolioService:
        service = PortfolioService(  # a new service per sync, as the CLI and Dagster build it
            config=PortfolioConfig(),
            store=PortfolioStore(engine),
            account=KrakenAccountSource(client),
            prices=FixedPrices({"XBTUSD": "30000"}),
            clock=ManualClock(at(100)),
        )
        service.sync()
        return service

    first = [t.trade_id for t in sync().get_trade_history()]
    mark = PortfolioStore(engine).state.get_mark("trades")
    client.list_pair("FOOQQQ", "FOOQQQ", "FOO", "QQQ")
    second = sync()

    assert first == ["T3", "T1"]
    assert mark is not None and mark < at(2)
    assert "could not be read" in caplog.text
    assert [t.trade_id for t in second.get_trade_history()] == ["T3", "T2", "T1"]
    assert second.get_trade_history()[1].pair == "FOOQQQ"
    engine.dispose()


# --- rows priced only from closed candles -----------------------------------------------------


def _ohlc_service(engine: sa.Engine, account: FakeAccount, clock: ManualClock) -> PortfolioService:
    # XBT moves to 31000 half-way through the minute after at(10_000).
    path = [(at(0), "30000"), (at(10_000) + timedelta(seconds=30), "31000")]
    server = OhlcServer(clock, {"XBTUSD": path})
    return PortfolioService(  # a new service per sync, as the CLI and Dagster build it
        config=PortfolioConfig(),
        store=PortfolioStore(engine),
        account=account,
        prices=FixedPrices({"XBTUSD": "31000", "ETHUSD": "1550"}),
        clock=clock,
        history=KrakenHistoricalPrices(server, clock),
    )


def test_deposit_in_forming_candle_then_held_until_closed_then_booked_once_at_final_close(
    tmp_path: Path,
) -> None:
    engine = _sqlite(tmp_path)
    clock = ManualClock(at(10_000))
    account = FakeAccount()
    account.deposit("USD", "1000", at(9_000))
    account.deposit("XBT", "1", at(9_000))
    account.deposit("XBT", "0.5", at(10_000) + timedelta(seconds=5))
    account.trade("buy", "10", "0.05", at(10_000) + timedelta(seconds=6), pair=("ETH", "XBT"))
    clock.advance(10)

    firsts = []
    for _ in range(3):  # three syncs seconds apart, inside the deposit's candle
        firsts.append(_ohlc_service(engine, account, clock).sync())
        clock.advance(5)
    held_mark = PortfolioStore(engine).state.get_mark("ledgers")
    clock.advance(60)  # the candle has closed
    later = _ohlc_service(engine, account, clock)
    summary = later.sync()

    # The older deposits are booked at once; the recent deposit and trade wait, without drift.
    assert [(s.new_cash_flows, s.new_trades) for s in firsts] == [(2, 0), (0, 0), (0, 0)]
    assert not any(s.drift_detected for s in firsts)
    assert held_mark is not None and held_mark < at(10_000) + timedelta(seconds=5)
    assert (summary.new_cash_flows, summary.new_trades) == (1, 1)
    assert summary.drift_detected is False
    recent = next(f for f in later.get_cash_flows() if f.time > at(10_000))
    assert recent.value_usd == d(15500)  # the candle's final close, not a sync's guess
    assert later.get_position("ETHUSD").avg_entry_price == d(1550)  # 0.5 XBT at 31000
    engine.dispose()


# --- paging that stops short ------------------------------------------------------------------


class GlitchyAccount(FakeAccount):
    """Answers one empty trades page before ``count`` rows were read (then behaves)."""

    glitch = True

    def trades_page(self, *, offset: int, start: datetime | None) -> Page[TradeFill]:
        page = super().trades_page(offset=offset, start=start)
        if self.glitch and offset > 0:
            return Page(items=(), count=page.count)
        return page


def test_empty_page_before_count_then_mark_stays_and_next_sync_books_the_rest(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    engine = _sqlite(tmp_path)
    account = GlitchyAccount()
    account.deposit("USD", "1000000", at(0))
    for i in range(60):
        account.trade("buy", "0.01", "20000", at(1 + i))
    prices = FixedPrices({"XBTUSD": "30000"})

    def sync() -> PortfolioService:
        service = PortfolioService(
            config=PortfolioConfig(),
            store=PortfolioStore(engine),
            account=account,
            prices=prices,
            clock=ManualClock(at(100)),
            history=prices,
        )
        service.sync()
        return service

    sync()
    mark = PortfolioStore(engine).state.get_mark("trades")
    account.glitch = False
    service = sync()

    assert mark is None  # the 10 oldest were never read: the mark did not move past them
    assert "paging stopped" in caplog.text
    assert len(service.get_trade_history()) == 60
    assert service.get_position("XBTUSD").base_size == d("0.6")
    assert service.get_equity().drift_flag is False
    engine.dispose()
