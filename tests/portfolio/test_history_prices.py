"""Events valued at their own time: OHLC-backed prices, and PnL independent of when we synced."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine

from krakked_core.clock import ManualClock
from krakked_core.config import PortfolioConfig
from krakked_core.connection.prices import KrakenHistoricalPrices, interval_for
from krakked_core.db import make_engine, upgrade
from krakked_core.errors import PriceNotFinalError
from krakked_core.portfolio.service import PortfolioService
from krakked_core.portfolio.store import PortfolioStore
from tests.fakes.account import (
    FakeAccount,
    FixedPrices,
    LatestPriceAt,
    OhlcServer,
    PriceHistory,
    at,
    d,
)


def test_interval_when_event_older_then_finest_window_that_still_reaches_it() -> None:
    now = at(100_000)

    assert interval_for(now - timedelta(hours=11), now) == 1
    assert interval_for(now - timedelta(hours=13), now) == 5
    assert interval_for(now - timedelta(days=20), now) == 60
    assert interval_for(now - timedelta(days=700), now) == 1440
    assert interval_for(now - timedelta(days=800), now) is None


def test_price_at_when_asked_then_close_of_candle_containing_event_and_cached() -> None:
    clock = ManualClock(at(100_000))
    server = OhlcServer(clock, {"XBTUSD": [(at(0), "30000"), (at(99_000), "60000")]})
    prices = KrakenHistoricalPrices(server, clock)

    old = prices.price_at("XBTUSD", at(98_000))  # ~33 h ago: 5-minute candles
    older = prices.price_at("XBTUSD", at(97_990))
    recent = prices.price_at("XBTUSD", at(99_500))  # 1-minute candles

    assert (old, older, recent) == (d(30000), d(30000), d(60000))
    assert server.calls == [("XBTUSD", 5), ("XBTUSD", 1)]  # one fetch per (pair, interval)


def test_price_at_when_unknown_pair_or_too_old_then_none() -> None:
    clock = ManualClock(at(100_000))
    prices = KrakenHistoricalPrices(OhlcServer(clock, {}), clock)

    assert prices.price_at("FOOUSD", at(99_000)) is None
    assert prices.price_at("FOOUSD", clock.now() - timedelta(days=900)) is None


def _reviewer_account() -> FakeAccount:
    """Buy 1 XBT at 30000 USD, then 10 ETH for 0.5 XBT (ETHXBT at 0.05)."""
    account = FakeAccount()
    account.deposit("USD", "30000", at(0))
    account.trade("buy", "1", "30000", at(1))
    account.trade("buy", "10", "0.05", at(2), pair=("ETH", "XBT"))
    return account


def _history() -> PriceHistory:
    history = PriceHistory()
    history.set("XBTUSD", "30000", at(0))
    history.set("ETHUSD", "1500", at(0))
    history.set("XBTUSD", "60000", at(5_000))  # XBT doubled later
    history.set("ETHUSD", "3000", at(5_000))
    return history


def _service(engine: Engine, account: FakeAccount, clock: ManualClock) -> PortfolioService:
    history = _history()
    return PortfolioService(
        config=PortfolioConfig(),
        store=PortfolioStore(engine),
        account=account,
        prices=LatestPriceAt(history, clock),
        clock=clock,
        history=history,
    )


def test_non_usd_quote_when_synced_after_price_doubled_then_same_pnl_and_basis(
    engine: Engine, tmp_path
) -> None:
    live_clock = ManualClock(at(3))
    live = _service(engine, _reviewer_account(), live_clock)
    live.sync()  # as it happened
    live_clock.advance(6_000 * 60)

    late_engine = make_engine(f"sqlite:///{tmp_path / 'late.db'}")
    upgrade(late_engine)
    late = _service(late_engine, _reviewer_account(), ManualClock(at(6_000)))
    late.sync()  # first synced after XBT doubled

    for service in (live, late):
        assert service.get_equity().realized_pnl_base_total == 0
        assert service.get_position("ETHUSD").avg_entry_price == d(1500)
        assert service.get_position("XBTUSD").avg_entry_price == d(30000)
        assert service.get_equity().drift_flag is False
    late_engine.dispose()


def test_crypto_inflow_without_price_at_its_time_then_unbased_never_todays_price(
    engine: Engine,
) -> None:
    account = FakeAccount()
    account.deposit("SOL", "3", at(0))
    history = PriceHistory()
    history.set("SOLUSD", "200", at(9_000))  # known only long after the deposit
    service = PortfolioService(
        config=PortfolioConfig(),
        store=PortfolioStore(engine),
        account=account,
        prices=FixedPrices({"SOLUSD": "200"}),
        clock=ManualClock(at(10_000)),
        history=history,
    )

    service.sync()

    (flow,) = service.get_cash_flows()
    assert flow.value_usd is None
    sol = service.get_position("SOLUSD")
    assert sol.avg_entry_price is None and sol.unbased_size == 3
    assert sol.current_value_base == 600  # still valued now, just without a basis


def _third_asset_fee_account(when: datetime) -> FakeAccount:
    account = FakeAccount()
    account.deposit("USD", "1000", at(0))
    account.deposit("DOT", "100", at(0))
    fill = account.trade("buy", "0.01", "30000", when)
    fee_row = account.ledger[-2]  # the XBT leg: a fee in a third asset has its own row
    account.ledger.append(
        fee_row.__class__(
            ledger_id="LFEE",
            refid=fill.trade_id,
            time=when,
            type="trade",
            subtype="",
            asset="DOT",
            amount=Decimal(0),
            fee=d("2"),
            kind="trade",
        )
    )
    return account


def test_third_asset_fee_when_old_then_historical_or_unvalued_when_recent_then_latest(
    engine: Engine, tmp_path
) -> None:
    now = at(10_000)
    latest = FixedPrices({"XBTUSD": "30000", "DOTUSD": "0.5"})
    empty = PriceHistory()

    def service(db: Engine, account: FakeAccount) -> PortfolioService:
        return PortfolioService(
            config=PortfolioConfig(),
            store=PortfolioStore(db),
            account=account,
            prices=latest,
            clock=ManualClock(now),
            history=empty,
        )

    old = service(engine, _third_asset_fee_account(at(1)))
    old.sync()
    recent_engine = make_engine(f"sqlite:///{tmp_path / 'recent.db'}")
    upgrade(recent_engine)
    recent = service(recent_engine, _third_asset_fee_account(now - timedelta(minutes=2)))
    recent.sync()

    assert old.get_fee_summary().unvalued_trades == 1  # not today's price for an old fee
    assert recent.get_fee_summary().total_usd == d(1)  # 2 DOT at the latest 0.5
    recent_engine.dispose()


def test_event_in_forming_candle_then_not_final_even_after_an_earlier_fetch_then_close() -> None:
    clock = ManualClock(at(100_000))
    server = OhlcServer(clock, {"XBTUSD": [(at(0), "30000")]})
    prices = KrakenHistoricalPrices(server, clock)
    clock.advance(20)
    early = at(100_000) + timedelta(seconds=10)
    with pytest.raises(PriceNotFinalError):
        prices.price_at("XBTUSD", early)
    server.path["XBTUSD"].append((clock.now(), "31000"))  # the price moves inside the candle
    clock.advance(20)

    with pytest.raises(PriceNotFinalError):  # not the close an earlier fetch saw
        prices.price_at("XBTUSD", clock.now())
    server.path["XBTUSD"].append((clock.now(), "32000"))
    clock.advance(60)  # the candle has closed

    assert prices.price_at("XBTUSD", early) == d(32000)  # its final close


def test_event_before_first_candle_returned_then_coarser_interval_prices_it() -> None:
    ours = ManualClock(at(100_000))
    exchange_clock = ManualClock(at(100_005))  # the exchange is 5 minutes ahead of us
    path = {"XBTUSD": [(at(0), "30000"), (at(99_900), "60000")]}
    prices = KrakenHistoricalPrices(OhlcServer(exchange_clock, path), ours)
    edge = at(100_000 - 716)  # inside our 1-minute window, outside the exchange's reply

    assert prices.price_at("XBTUSD", edge) == d(30000)


def test_interval_when_event_at_edge_of_window_then_margin_picks_coarser() -> None:
    now = at(100_000)

    assert interval_for(now - timedelta(minutes=717), now) == 1
    assert interval_for(now - timedelta(minutes=718), now) == 5
