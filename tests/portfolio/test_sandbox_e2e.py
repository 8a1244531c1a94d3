"""End to end against the sandbox exchange: a person trades by hand, the books follow exactly."""

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from pydantic import SecretStr

from krakked_core.clock import ManualClock
from krakked_core.config import AppConfig
from krakked_core.connection import KrakenRestClient, build_rest_client
from krakked_core.connection.account_source import KrakenAccountSource
from krakked_core.connection.parsers.account import parse_balance
from krakked_core.connection.prices import KrakenHistoricalPrices, KrakenTickerPrices
from krakked_core.db import make_engine, upgrade
from krakked_core.paths import AppPaths
from krakked_core.portfolio.assets import root
from krakked_core.portfolio.service import PortfolioService
from krakked_core.portfolio.store import PortfolioStore
from krakked_core.secrets import Credentials
from krakked_core.sim import SandboxExchange, SimSettings


@pytest.fixture
def clock() -> ManualClock:
    # A fixed date (the sandbox's market is a function of it), at a minute's start, so
    # everything the test does falls in one one-minute candle.
    return ManualClock(datetime(2026, 3, 2, 12, 0, tzinfo=UTC))


@pytest.fixture
def sim(clock: ManualClock) -> Iterator[SandboxExchange]:
    settings = SimSettings(seed=1, history_days=1, tier="none")
    with SandboxExchange(settings, clock=clock) as exchange:
        yield exchange


def _client(sim: SandboxExchange, app_paths: AppPaths) -> KrakenRestClient:
    # The sandbox has no rate limits (tier "none"): do not pace our calls as for Kraken.
    config = AppConfig.model_validate(
        {"exchange": {"rest_url": sim.rest_url, "public_rate_per_second": 100, "tier": "pro"}}
    )
    credentials = Credentials(api_key=SecretStr(sim.api_key), api_secret=SecretStr(sim.api_secret))
    return build_rest_client(config, app_paths, credentials)


def _exchange_balances(client: KrakenRestClient) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for asset, amount in parse_balance(client.balance()).amounts.items():
        totals[root(asset)] = totals.get(root(asset), Decimal(0)) + amount
    return totals


def test_manual_trading_on_sandbox_then_books_match_exactly_and_drift_rises_on_silent_move(
    sim: SandboxExchange, clock: ManualClock, app_paths: AppPaths, tmp_path
) -> None:
    client = _client(sim, app_paths)
    engine = make_engine(f"sqlite:///{tmp_path / 'e2e.db'}")
    upgrade(engine)
    service = PortfolioService(
        config=AppConfig().portfolio,
        store=PortfolioStore(engine),
        account=KrakenAccountSource(client),
        prices=KrakenTickerPrices(client),
        clock=clock,
        history=KrakenHistoricalPrices(client, clock),
    )
    ex = sim.exchange
    actions = [
        lambda: ex.deposit("USD", Decimal("5000")),
        lambda: ex.place_manual_order(
            pair="XBTUSD", side="buy", ordertype="market", volume=Decimal("0.02")
        ),
        lambda: ex.place_manual_order(
            pair="XBTUSD", side="sell", ordertype="market", volume=Decimal("0.005")
        ),
        lambda: ex.deposit("XBT", Decimal("0.1")),
        lambda: ex.withdraw("USD", Decimal("100")),
        lambda: ex.reward("DOT", Decimal("1.5")),
        ex.step,
    ]
    for action in actions:  # a second apart, as a person would
        clock.advance(1)
        action()

    early = service.initialize()
    # The crypto inflows sit in the candle still forming: held back, not booked at a price that
    # would still change, and not mistaken for drift either.
    assert early.new_trades == 2 and early.drift_detected is False
    assert {(f.type, f.asset) for f in service.get_cash_flows()} == {
        ("deposit", "USD"),
        ("withdrawal", "USD"),
    }
    clock.advance(120)  # their one-minute candle has closed
    ex.step()

    summary = service.sync()

    assert summary.new_cash_flows == 2 and summary.drift_detected is False
    books = {a: q for a, q in service.rebuild().balances.items() if q != 0}
    assert books == {a: q for a, q in _exchange_balances(client).items() if q != 0}
    xbt = service.get_position("XBTUSD")
    assert xbt.base_size == Decimal("0.115")
    # The deposited XBT got its basis from the sandbox's OHLC at the deposit's time.
    assert xbt.unbased_size == 0 and xbt.avg_entry_price is not None
    assert all(f.value_usd is not None for f in service.get_cash_flows() if f.amount > 0)
    assert {t.strategy_tag for t in service.get_trade_history()} == {"manual"}
    assert {f.type for f in service.get_cash_flows()} == {"deposit", "withdrawal", "reward"}
    equity = service.get_equity()
    assert equity.drift_flag is False and equity.equity_base > 0

    ex.adjust_balance_silently("XBT", Decimal("0.01"))
    drifted = service.sync()

    assert drifted.drift_detected and drifted.drift_assets == ("XBT",)
    assert service.get_equity().drift_flag is True

    ex.adjust_balance_silently("XBT", Decimal("-0.01"))
    assert service.sync().drift_detected is False
    assert service.get_equity().drift_flag is False
