"""Equity never shrinks in silence: an unpriced holding makes the valuation partial, and says so.

$90k of XBT + $10k USD, then the XBT ticker goes stale: equity counts only the $10k it could
value, so it is partial, not trustworthy, kept out of equity history, and every surface names XBT.
"""

from decimal import Decimal

import pytest
from sqlalchemy import Engine

from krakked_core.clock import ManualClock
from krakked_core.config import PortfolioConfig
from krakked_core.config_loading import parse_config
from krakked_core.db.portfolio_tables import portfolio_cash_flows, portfolio_ledger_entries
from krakked_core.errors import ConfigError, DataStaleError
from krakked_core.portfolio.service import PortfolioService
from krakked_core.portfolio.store import PortfolioStore
from krakked_core.portfolio.valuation import Prices
from krakked_core.portfolio.views import summary_json
from tests.fakes.account import FakeAccount, FixedPrices, at, d


class StalePrices(FixedPrices):
    """Set prices; a pair put in ``stale`` raises ``DataStaleError`` now, as the live cache does."""

    def __init__(self, prices: dict[str, str]) -> None:
        super().__init__(prices)
        self.stale: set[str] = set()

    def get_latest_price(self, pair: str) -> Decimal:
        if pair in self.stale:
            raise DataStaleError(f"{pair} ticker is 600 s old")
        return super().get_latest_price(pair)


def _service(
    engine: Engine, account: FakeAccount, prices: FixedPrices, clock: ManualClock, **config
) -> PortfolioService:
    return PortfolioService(
        config=PortfolioConfig(**config),
        store=PortfolioStore(engine),
        account=account,
        prices=prices,
        clock=clock,
        history=prices,
    )


def _xbt_and_usd(engine: Engine, clock: ManualClock) -> tuple[PortfolioService, StalePrices]:
    """$90k of XBT and $10k USD, synced and priced."""
    account = FakeAccount()
    account.deposit("USD", "100000", at(0))
    account.trade("buy", "3", "30000", at(1))
    prices = StalePrices({"XBTUSD": "30000"})
    service = _service(engine, account, prices, clock)
    service.sync()
    return service, prices


def test_equity_when_holding_unpriced_then_partial_and_not_trustworthy(engine: Engine) -> None:
    service, prices = _xbt_and_usd(engine, ManualClock(at(10)))
    assert service.get_equity().trustworthy

    prices.stale.add("XBTUSD")
    equity = service.get_equity()

    assert equity.equity_base == d(10000)  # only what could be valued
    assert equity.unvalued_assets == ("XBT",) and not equity.complete
    assert equity.drift_flag is False  # the books still match the exchange
    assert equity.trustworthy is False


def test_exposure_when_holding_unpriced_then_row_says_so_and_no_share_pretends_it_is_zero(
    engine: Engine,
) -> None:
    service, prices = _xbt_and_usd(engine, ManualClock(at(10)))
    priced = {e.asset: e for e in service.get_asset_exposure()}

    prices.stale.add("XBTUSD")
    rows = {e.asset: e for e in service.get_asset_exposure()}

    assert (priced["XBT"].percentage_of_equity, priced["USD"].percentage_of_equity) == (90, 10)
    assert priced["XBT"].valued and priced["XBT"].unvalued_reason is None
    xbt, usd = rows["XBT"], rows["USD"]
    assert (xbt.valued, xbt.amount, xbt.value_base, xbt.percentage_of_equity) == (
        False,
        d(3),
        None,
        None,
    )
    assert xbt.unvalued_reason is not None
    assert "DataStaleError" in xbt.unvalued_reason and "XBTUSD" in xbt.unvalued_reason
    # USD is 10 % of equity, not the 100 % it would be with XBT counted as zero.
    assert usd.valued and usd.value_base == d(10000) and usd.percentage_of_equity is None


def test_snapshot_when_holding_unpriced_then_partial_and_never_equity_history(
    engine: Engine,
) -> None:
    clock = ManualClock(at(10))
    service, prices = _xbt_and_usd(engine, clock)
    complete = service.create_snapshot()
    clock.advance(300)
    prices.stale.add("XBTUSD")

    partial = service.create_snapshot()

    assert complete.complete and complete.unvalued_assets == ()
    assert not partial.complete and partial.unvalued_assets == ("XBT",)
    assert partial.equity_base == d(10000)
    # Equity history (drawdown, charts) never sees the 90 % "drop".
    assert [s.id for s in service.get_snapshots()] == [complete.id]
    assert [s.id for s in service.get_snapshots(limit=1)] == [complete.id]
    assert service.get_snapshots(since=partial.timestamp) == []
    stored = service.get_snapshots(include_partial=True)
    assert [(s.id, s.complete) for s in stored] == [(partial.id, False), (complete.id, True)]
    xbt = next(v for v in stored[0].asset_valuations if v.asset == "XBT")
    assert xbt.value_base is None and "DataStaleError" in (xbt.unvalued_reason or "")


def test_summary_json_when_holding_unpriced_then_says_incomplete_and_names_it(
    engine: Engine,
) -> None:
    service, prices = _xbt_and_usd(engine, ManualClock(at(10)))
    prices.stale.add("XBTUSD")

    data = summary_json(service.get_equity(), service.get_pnl_summary(), None)

    assert data["complete"] is False and data["unvalued_assets"] == ["XBT"]
    assert data["equity_usd"] == "10000" and data["drift_flag"] is False


def _kfee_account() -> FakeAccount:
    """A buy and a sell of 1 XBT, each paying 5,200 KFEE; 20,000 KFEE credited first."""
    account = FakeAccount()
    account.deposit("USD", "100000", at(0))
    account.deposit("KFEE", "20000", at(0), kind="credit")
    account.trade("buy", "1", "20000", at(1), fee="5200", fee_in="KFEE")
    account.trade("sell", "1", "21000", at(2), fee="5200", fee_in="KFEE")
    return account


def test_buy_and_sell_with_kfee_fees_then_fees_reach_realized_pnl_and_fee_summary(
    engine: Engine,
) -> None:
    service = _service(engine, _kfee_account(), FixedPrices({}), ManualClock(at(10)))
    service.sync()

    # 1,000 USD gained, less 2 × 5,200 KFEE at 0.01 USD each.
    assert service.get_pnl_summary().realized_total == d(1000) - 52 - 52
    assert [t.fee_usd for t in service.get_trade_history()] == [d(52), d(52)]
    fees = service.get_fee_summary()
    assert fees.by_asset == {"KFEE": d(10400)}
    assert fees.by_pair_usd == {"XBTUSD": d(104)} and fees.total_usd == d(104)
    assert fees.unvalued_trades == 0
    equity = service.get_equity()
    # The 9,600 KFEE left are worth 96 USD: valued, so equity is complete.
    assert equity.complete and equity.equity_base == d(101000) + 96
    kfee = next(e for e in service.get_asset_exposure() if e.asset == "KFEE")
    assert kfee.valued and kfee.value_base == d(96)


def test_kfee_value_when_configured_then_fees_use_it(engine: Engine) -> None:
    clock = ManualClock(at(10))
    service = _service(engine, _kfee_account(), FixedPrices({}), clock, kfee_usd_value="0.02")
    service.sync()

    assert service.get_fee_summary().total_usd == d(208)
    assert service.get_pnl_summary().realized_total == d(1000) - 208


@pytest.mark.parametrize("value", ["0", "-0.01", "cheap"])
def test_kfee_value_when_not_positive_then_config_error_names_the_key(value: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config({"portfolio": {"kfee_usd_value": value}}, origin="test")

    assert "portfolio.kfee_usd_value: Input should be" in str(info.value)
    assert repr(value) in str(info.value)


def test_kfee_value_by_default_is_one_cent() -> None:
    assert PortfolioConfig().kfee_usd_value == Decimal("0.01")


def test_kfee_when_base_is_not_usd_then_valued_through_usd_or_unvalued_saying_why() -> None:
    source = StalePrices({"USDEUR": "0.9"})
    priced = Prices(source, "EUR", {}, Decimal("0.01"))
    assert priced.price("KFEE") == d("0.009") and priced.pair_for("KFEE") is None

    source.stale.add("USDEUR")
    stale = Prices(source, "EUR", {}, Decimal("0.01"))

    assert stale.price("KFEE") is None
    assert "DataStaleError: USDEUR" in stale.why_unvalued("KFEE")


def test_kfee_stored_without_value_by_an_older_version_then_next_sync_values_it(
    engine: Engine,
) -> None:
    account = _kfee_account()
    service = _service(engine, account, FixedPrices({}), ManualClock(at(10)))
    service.sync()
    store = PortfolioStore(engine).history
    # What a version without fee-credit values stored: no USD value on the KFEE rows.
    with engine.begin() as conn:
        conn.execute(
            portfolio_ledger_entries.update()
            .where(portfolio_ledger_entries.c.asset == "KFEE")
            .values(fee_usd=None)
        )
        conn.execute(
            portfolio_cash_flows.update()
            .where(portfolio_cash_flows.c.asset == "KFEE")
            .values(value_usd=None)
        )
    service.rebuild()
    assert service.get_pnl_summary().realized_total == d(1000)  # the old, wrong books

    summary = service.sync()

    assert summary.rebuilt and summary.new_trades == 0
    assert service.get_pnl_summary().realized_total == d(1000) - 104
    assert service.get_fee_summary().total_usd == d(104)
    assert [t.fee_usd for t in service.get_trade_history()] == [d(52), d(52)]
    (credit,) = store.get_cash_flows(asset="KFEE")
    assert credit.value_usd == d(200)
    assert not service.sync().rebuilt  # valued once
