"""The paper venue on SQLite and PostgreSQL: live-price fills, funds, and the real portfolio."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine

from krakked_core.clock import ManualClock
from krakked_core.config import ExecutionConfig, PortfolioConfig
from krakked_core.errors import DataStaleError, OrderError
from krakked_core.execution.paper import build_paper_venue
from krakked_core.model.market import Bar, DataStatus, TickerSnapshot, Timeframe
from krakked_core.model.orders import OrderSubmission
from krakked_core.portfolio.service import PortfolioService
from krakked_core.portfolio.store import PortfolioStore
from tests.fakes.account import T0, FixedPrices, d


class Live:
    """What the sidecar published: one ticker per pair, or stale."""

    def __init__(self) -> None:
        self.tickers: dict[str, TickerSnapshot] = {}
        self.stale = False

    def set(self, pair: str, bid: str, ask: str, last: str) -> None:
        self.tickers[pair] = TickerSnapshot(
            pair=pair,
            bid=d(bid),
            ask=d(ask),
            last=d(last),
            volume_24h=d(1),
            vwap_24h=d(last),
            updated_at=T0,
        )

    def latest_ticker(self, pair: str) -> TickerSnapshot:
        if self.stale:
            raise DataStaleError(f"{pair} ticker is stale")
        return self.tickers[pair]

    def live_bar(self, pair: str, timeframe: Timeframe) -> Bar:
        raise NotImplementedError

    def closed_bars_since(self, pair: str, timeframe: Timeframe, since_ts: int) -> list[Bar]:
        raise NotImplementedError

    def data_status(self) -> DataStatus:
        raise NotImplementedError


LEGS = {"XBTUSD": ("XBT", "USD")}


def _venue(engine: Engine, clock: ManualClock, live: Live):
    config = ExecutionConfig(
        paper_starting_balances={"USD": Decimal(10000)},
        paper_taker_fee_pct=Decimal("0.26"),
        paper_slippage_bps=Decimal(10),
    )
    return build_paper_venue(config, engine, clock, live, LEGS.__getitem__)


def _order(cl: str, side: str, volume: str, clock: ManualClock, price: str | None = None):
    return OrderSubmission(
        cl_ord_id=cl,
        pair="XBTUSD",
        side=side,  # type: ignore[arg-type]
        order_type="market" if price is None else "limit",
        volume=d(volume),
        price=None if price is None else d(price),
        deadline=clock.now() + timedelta(seconds=30),
    )


def test_paper_fills_then_portfolio_sync_gives_positions_pnl_and_fees(engine: Engine) -> None:
    clock, live = ManualClock(T0), Live()
    gateway, account = _venue(engine, clock, live)
    live.set("XBTUSD", "20000", "20010", "20000")

    clock.advance(60)
    gateway.place(_order("buy-1", "buy", "0.2", clock))  # 20000 + 10 bps = 20020
    clock.advance(60)
    gateway.place(_order("sell-1", "sell", "0.1", clock, price="21000"))  # rests
    assert [o.cl_ord_id for o in gateway.open_orders(cl_ord_id="sell-1")] == ["sell-1"]
    clock.advance(60)
    live.set("XBTUSD", "21000", "21010", "21005")
    gateway.refresh()  # bid reached the limit: fills at 21000

    assert gateway.open_orders() == []
    closed = gateway.closed_orders(start=T0, cl_ord_id="sell-1")
    assert closed[0].status == "closed" and closed[0].average_price == d(21000)
    buy_cost, buy_fee = d("0.2") * 20020, d("0.2") * 20020 * d("0.0026")
    sell_cost, sell_fee = d("0.1") * 21000, d("0.1") * 21000 * d("0.0026")
    assert account.balances().amounts == {
        "USD": d(10000) - buy_cost - buy_fee + sell_cost - sell_fee,
        "XBT": d("0.1"),
    }
    service = PortfolioService(
        config=PortfolioConfig(),
        store=PortfolioStore(engine),
        account=account,
        prices=FixedPrices({"XBTUSD": "22000"}),
        clock=clock,
        history=FixedPrices({"XBTUSD": "22000"}),
    )
    summary = service.initialize()

    assert summary.new_trades == 2 and not summary.drift_detected
    xbt = service.get_position("XBTUSD")
    assert xbt.base_size == d("0.1") and xbt.avg_entry_price == d(20020)
    assert xbt.realized_pnl_base == (d(21000) - 20020) * d("0.1") - buy_fee - sell_fee
    assert xbt.unrealized_pnl_base == (d(22000) - 20020) * d("0.1")


def test_paper_refuses_what_kraken_refuses_and_never_fills_on_stale_prices(
    engine: Engine,
) -> None:
    clock, live = ManualClock(T0), Live()
    gateway, account = _venue(engine, clock, live)
    live.set("XBTUSD", "20000", "20010", "20000")

    with pytest.raises(OrderError, match="Insufficient funds"):
        gateway.place(_order("big", "buy", "1", clock))
    with pytest.raises(OrderError, match="Insufficient funds"):
        gateway.place(_order("short", "sell", "0.01", clock))
    gateway.place(_order("rest", "buy", "0.1", clock, price="19000"))
    live.stale = True
    with pytest.raises(DataStaleError):
        gateway.place(_order("m", "buy", "0.1", clock))
    with pytest.raises(DataStaleError):
        gateway.refresh()
    live.stale = False
    assert gateway.cancel(cl_ord_id="rest").count == 1
    assert gateway.cancel_all().count == 0
    assert account.trades_page(offset=0, start=None).count == 0
    assert account.balances().amounts == {"USD": d(10000)}


def test_paper_history_pages_newest_first_fifty_a_page_after_start(engine: Engine) -> None:
    clock, live = ManualClock(T0), Live()
    gateway, account = _venue(engine, clock, live)
    live.set("XBTUSD", "100", "100", "100")
    for n in range(60):
        clock.advance(60)
        gateway.place(_order(f"b{n}", "buy", "0.01", clock))

    first, second = (account.trades_page(offset=o, start=None) for o in (0, 50))
    after = account.trades_page(offset=0, start=T0 + timedelta(minutes=55))
    orders = account.closed_orders_page(offset=0, start=None)

    assert (first.count, len(first.items), len(second.items)) == (60, 50, 10)
    times = [t.time for t in first.items + second.items]
    assert times == sorted(times, reverse=True) and len(set(times)) == 60
    assert [t.time for t in after.items] == times[:5] and after.count == 5
    assert orders.items[0].cl_ord_id == "b59" and orders.count == 60
    assert account.ledger_page(offset=0, start=None).count == 1 + 2 * 60
