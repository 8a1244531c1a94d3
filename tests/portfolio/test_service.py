"""PortfolioService over the app DB (SQLite and PostgreSQL) with an in-memory account."""

import logging
from decimal import Decimal

import pytest
from sqlalchemy import Engine

from krakked_core.clock import ManualClock
from krakked_core.config import PortfolioConfig
from krakked_core.connection.ledger_types import ledger_kind
from krakked_core.errors import DataStaleError, PositionNotFoundError
from krakked_core.model.account import ExchangeOrder, Side
from krakked_core.portfolio.persisted import reconciliation_to_state
from krakked_core.portfolio.service import PortfolioService
from krakked_core.portfolio.store import PortfolioStore
from krakked_core.portfolio.views import summary_json
from tests.fakes.account import T0, FakeAccount, FixedPrices, at, d

PRICES = {"XBTUSD": "30000", "ETHUSD": "2000"}


def _service(
    engine: Engine,
    account: FakeAccount,
    prices: FixedPrices | None = None,
    clock: ManualClock | None = None,
    **config,
) -> PortfolioService:
    prices = prices or FixedPrices(PRICES)
    return PortfolioService(
        config=PortfolioConfig(**config),
        store=PortfolioStore(engine),
        account=account,
        prices=prices,
        clock=clock or ManualClock(at(10_000)),
        history=prices,
    )


def _account() -> FakeAccount:
    account = FakeAccount()
    account.deposit("USD", "100000", at(0))
    account.trade("buy", "1", "20000", at(1), fee="20")
    account.trade("buy", "1", "26000", at(2), fee="26")
    account.trade("sell", "0.5", "28000", at(3), fee="14")
    account.trade("buy", "10", "1500", at(4), fee="15", pair=("ETH", "USD"))
    return account


def test_initial_sync_when_trades_and_deposit_then_positions_and_pnl_by_hand(
    engine: Engine,
) -> None:
    service = _service(engine, _account())

    summary = service.initialize()

    assert summary.new_trades == 4 and summary.new_cash_flows == 1
    assert not summary.drift_detected
    xbt = service.get_position("XBTUSD")
    assert xbt.base_size == d("1.5") and xbt.avg_entry_price == d(23000)
    assert xbt.realized_pnl_base == d(-20) - 26 + (d(28000) - 23000) * d("0.5") - 14
    assert xbt.unrealized_pnl_base == (d(30000) - 23000) * d("1.5")
    assert xbt.current_value_base == d(45000)
    eth = service.get_position("ETHUSD")
    assert eth.unrealized_pnl_base == (d(2000) - 1500) * 10


def test_equity_with_fixed_prices_then_equity_exposure_and_identity(engine: Engine) -> None:
    service = _service(engine, _account())
    service.sync()

    equity = service.get_equity()

    cash = d(100000) - 20020 - 26026 + 14000 - 14 - 15015
    assert equity.cash_base == cash
    assert equity.equity_base == cash + d("1.5") * 30000 + 10 * 2000
    assert equity.drift_flag is False and equity.complete
    assert equity.equity_base == (
        d(100000) + equity.realized_pnl_base_total + equity.unrealized_pnl_base_total
    )
    exposure = {e.asset: e for e in service.get_asset_exposure()}
    assert exposure["XBT"].value_base == d(45000)
    assert exposure["XBT"].percentage_of_equity == d(45000) * 100 / equity.equity_base


def test_asset_without_price_then_flagged_unvalued_never_zero(engine: Engine) -> None:
    account = _account()
    account.deposit("SOL", "3", at(5))
    service = _service(engine, account)
    service.sync()

    equity = service.get_equity()

    assert equity.unvalued_assets == ("SOL",) and not equity.complete
    sol = next(v for v in service.get_asset_exposure() if v.asset == "SOL")
    assert sol.value_base is None and sol.percentage_of_equity is None
    position = service.get_position("SOLUSD")
    assert position.current_price is None and position.unrealized_pnl_base is None


def test_stale_market_data_then_valuation_marks_asset_unvalued(engine: Engine) -> None:
    class Stale(FixedPrices):
        def get_latest_price(self, pair: str) -> Decimal:
            if pair == "ETHUSD":
                raise DataStaleError("ETHUSD is 300 s old")
            return super().get_latest_price(pair)

    service = _service(engine, _account(), prices=Stale(PRICES))
    service.sync()

    assert service.get_equity().unvalued_assets == ("ETH",)
    assert "ETHUSD" in service.get_pnl_summary().unvalued_pairs


def test_unknown_pair_then_position_not_found(engine: Engine) -> None:
    service = _service(engine, _account())
    service.sync()

    with pytest.raises(PositionNotFoundError, match="DOTUSD"):
        service.get_position("DOTUSD")


def test_balance_off_by_extra_btc_then_drift_flag_and_warning_then_clears(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    account = _account()
    service = _service(engine, account)
    service.sync()
    assert service.get_equity().drift_flag is False

    account.extra_balance["XBT"] = d("0.01")
    with caplog.at_level(logging.WARNING):
        summary = service.sync()

    assert summary.drift_detected and summary.drift_assets == ("XBT",)
    assert service.get_equity().drift_flag is True
    assert "XBT books=1.5" in caplog.text and "diff=0.01" in caplog.text

    account.extra_balance.clear()
    assert service.sync().drift_detected is False
    assert service.get_equity().drift_flag is False


def test_difference_within_tolerance_then_no_drift(engine: Engine) -> None:
    account = _account()
    account.extra_balance["XBT"] = d("0.00001")  # 0.30 USD
    service = _service(engine, account)

    assert service.sync().drift_detected is False


def test_suffix_variant_balance_then_counted_toward_asset(engine: Engine) -> None:
    account = _account()
    account.ledger.append(
        account.ledger[0].__class__(
            ledger_id="LS1",
            refid="S1",
            time=at(6),
            type="transfer",
            subtype="spottostaking",
            asset="XBT",
            amount=d("-0.5"),
            fee=d(0),
            kind="transfer",
        )
    )
    account.ledger.append(
        account.ledger[0].__class__(
            ledger_id="LS2",
            refid="S1",
            time=at(6),
            type="transfer",
            subtype="stakingfromspot",
            asset="XBT.F",
            amount=d("0.5"),
            fee=d(0),
            kind="transfer",
        )
    )
    service = _service(engine, account)

    assert service.sync().drift_detected is False
    xbt = next(v for v in service.get_asset_exposure() if v.asset == "XBT")
    assert xbt.amount == d("1.5") and xbt.value_base == d(45000)
    assert service.get_position("XBTUSD").avg_entry_price == d(23000)


def test_repeated_sync_then_nothing_counted_twice(engine: Engine) -> None:
    service = _service(engine, _account())
    first = service.sync()
    realized = service.get_equity().realized_pnl_base_total

    again = service.sync()

    assert first.new_trades == 4
    assert (again.new_trades, again.new_ledger_entries, again.new_cash_flows) == (0, 0, 0)
    assert service.get_equity().realized_pnl_base_total == realized
    assert len(service.get_trade_history()) == 4


def test_sync_killed_half_way_then_rerun_gives_same_books(engine: Engine) -> None:
    big = FakeAccount()
    big.deposit("USD", "1000000", at(0))
    for i in range(120):  # three pages of trades
        big.trade("buy" if i % 3 else "sell", "0.1", str(20000 + i), at(1 + i), fee="1")
    big.fail_after_pages = 3  # orders page, two trade pages, then the connection dies
    service = _service(engine, big)

    with pytest.raises(ConnectionError):
        service.sync()
    big.fail_after_pages = None
    service.sync()
    service.sync()

    rebuilt = service.rebuild()
    assert len(service.get_trade_history()) == 120
    assert service.get_equity().realized_pnl_base_total == rebuilt.realized_total
    assert service.get_equity().drift_flag is False


def test_incremental_sync_then_only_new_trades_and_same_as_full_replay(engine: Engine) -> None:
    account = _account()
    clock = ManualClock(at(10_000))
    service = _service(engine, account, clock=clock)
    service.sync()

    account.trade("sell", "1", "31000", at(20), fee="31")
    summary = service.sync()

    assert summary.new_trades == 1 and summary.updated_pairs == ("XBTUSD",)
    assert summary.rebuilt is False
    realized = service.get_equity().realized_pnl_base_total
    assert realized == service.rebuild().realized_total


def test_history_arriving_out_of_order_then_books_replayed(engine: Engine) -> None:
    account = _account()
    service = _service(engine, account)
    service.sync()

    # A deposit dated before the last applied trade shows up late (e.g. after the mark moved on
    # it would be missed; here it is within the overlap window of the ledger stream).
    late = account.ledger[-1].time
    account.deposit("USD", "5", late)
    summary = service.sync()

    assert summary.new_cash_flows == 1 and summary.rebuilt is True
    assert service.get_equity().drift_flag is False
    assert service.get_equity().realized_pnl_base_total == service.rebuild().realized_total


def test_state_when_reloaded_by_new_service_then_identical(engine: Engine) -> None:
    account = _account()
    service = _service(engine, account)
    service.sync()
    before = (service.get_positions(), service.get_equity(), service.get_fee_summary())

    reloaded = _service(engine, FakeAccount())  # no new history; only the store
    after = (reloaded.get_positions(), reloaded.get_equity(), reloaded.get_fee_summary())

    assert after == before
    assert [t.trade_id for t in reloaded.get_trade_history()] == [
        "T000003",
        "T000002",
        "T000001",
        "T000000",
    ]


def _tagged_account() -> FakeAccount:
    account = FakeAccount()
    account.deposit("USD", "100000", at(0))
    account.trade("buy", "1", "20000", at(1), order="OBOT1")
    account.trade("sell", "1", "21000", at(2), order="OBOT1B")
    account.trade("buy", "1", "20000", at(3), order="OREF")
    account.trade("sell", "1", "20500", at(4), order="OREFB")
    account.trade("buy", "1", "20000", at(5), order="OMAN")
    account.trade("sell", "1", "19000", at(6), order="OMAN2")
    for txid, userref, cl in (
        ("OBOT1B", None, "c-1"),
        ("OREF", 7, None),
        ("OREFB", 7, None),
        ("OMAN", None, None),
        ("OMAN2", 99, None),
    ):
        account.orders.append(
            ExchangeOrder(txid, "XBTUSD", "buy", "closed", userref, cl, at(0), at(7))
        )
    return account


def _trend_order(
    store: PortfolioStore,
    local_id: str,
    side: Side,
    status: str,
    cl_ord_id: str,
    kraken_txid: str | None = None,
) -> None:
    """A 1 XBT limit order of the trend_v1 strategy, as the OMS records it."""
    store.orders.record_order(
        local_id=local_id,
        strategy_id="trend_v1",
        pair="XBTUSD",
        side=side,
        order_type="limit",
        volume=d(1),
        status=status,
        created_at=T0,
        cl_ord_id=cl_ord_id,
        kraken_txid=kraken_txid,
    )


def test_attribution_when_cl_ord_id_userref_or_none_then_strategy_or_manual(engine: Engine) -> None:
    store = PortfolioStore(engine)
    _trend_order(store, "L1", "sell", "closed", "c-1")
    _trend_order(
        store, "L2", "buy", "open", "c-0", kraken_txid="OBOT1"
    )  # still open on the exchange
    service = _service(engine, _tagged_account(), strategy_tags={7: "mean_rev"})
    service.sync()

    tags = {t.order_id: t.strategy_tag for t in service.get_trade_history()}

    assert tags == {
        "OBOT1": "trend_v1",
        "OBOT1B": "trend_v1",
        "OREF": "mean_rev",
        "OREFB": "mean_rev",
        "OMAN": "manual",
        "OMAN2": "manual",
    }


def test_include_manual_and_track_manual_trades_then_pnl_filtered_not_balances(
    engine: Engine,
) -> None:
    store = PortfolioStore(engine)
    _trend_order(store, "L1", "buy", "closed", "c-0", kraken_txid="OBOT1")
    _trend_order(store, "L2", "sell", "closed", "c-1", kraken_txid="OBOT1B")
    tracking = _service(engine, _tagged_account(), strategy_tags={7: "mean_rev"})
    tracking.sync()
    not_tracking = _service(
        engine, FakeAccount(), strategy_tags={7: "mean_rev"}, track_manual_trades=False
    )

    assert tracking.get_pnl_summary().realized_total == d(1000) + 500 - 1000
    assert tracking.get_pnl_summary(include_manual=False).realized_total == d(1500)
    assert not_tracking.get_pnl_summary().realized_total == d(1500)
    assert not_tracking.get_pnl_summary(include_manual=True).realized_total == d(500)
    assert len(not_tracking.get_trade_history()) == 4
    # Balances and the books always include everything.
    assert not_tracking.get_equity().equity_base == tracking.get_equity().equity_base
    assert not_tracking.get_equity().realized_pnl_base_total == d(500)


def test_snapshots_when_created_over_days_then_retention_prunes_old(engine: Engine) -> None:
    clock = ManualClock(at(10_000))
    service = _service(engine, _account(), clock=clock, snapshot_retention_days=2)
    service.sync()

    first = service.create_snapshot()
    clock.advance(86400 * 1.5)
    service.create_snapshot()
    clock.advance(86400)
    latest = service.create_snapshot()

    snaps = service.get_snapshots()
    assert [s.id for s in snaps] == [latest.id, latest.id - 1]
    assert first.id not in {s.id for s in snaps}
    assert snaps[0].equity_base == service.get_equity().equity_base
    assert snaps[0].asset_valuations == latest.asset_valuations
    assert snaps[0].timestamp == clock.now()
    assert service.get_snapshots(limit=1)[0].id == latest.id


def test_cash_flows_when_listed_then_typed_newest_first_and_filtered(engine: Engine) -> None:
    account = _account()
    account.deposit("XBT", "0.2", at(7))
    account.deposit("XBT", "-0.1", at(8), kind="withdrawal")
    account.deposit("DOT.S", "1", at(9), kind="staking")
    service = _service(engine, account, prices=FixedPrices({**PRICES, "DOTUSD": "5"}))
    service.sync()

    flows = service.get_cash_flows()
    xbt = service.get_cash_flows(asset="XXBT")

    assert [f.type for f in flows] == ["reward", "withdrawal", "deposit", "deposit"]
    assert flows[0].value_usd == d(5)
    assert [f.amount for f in xbt] == [d("-0.1"), d("0.2")]
    assert xbt[1].value_usd == d(6000)
    assert service.get_cash_flows(limit=1) == flows[:1]
    assert service.get_equity().drift_flag is False


def test_fee_summary_then_by_asset_pair_and_total(engine: Engine) -> None:
    service = _service(engine, _account())
    service.sync()

    fees = service.get_fee_summary()

    assert fees.by_asset == {"USD": d(75)}
    assert fees.by_pair_usd == {"XBTUSD": d(60), "ETHUSD": d(15)}
    assert fees.total_usd == d(75)


class ArrivingDuringPaging(FakeAccount):
    """New trades land at the front while we page, so the next page repeats a row we saw."""

    def trades_page(self, *, offset, start):
        page = super().trades_page(offset=offset, start=start)
        if offset == 0 and len(self.trades) == 60:
            self.trade("buy", "0.01", "20000", at(500 + len(self.trades)), fee="1")
        return page


def test_overlapping_pages_when_trades_arrive_mid_sync_then_none_double_counted(
    engine: Engine,
) -> None:
    account = ArrivingDuringPaging()
    account.deposit("USD", "1000000", at(0))
    for i in range(60):
        account.trade("buy", "0.01", str(20000 + i), at(1 + i), fee="1")
    service = _service(engine, account)

    first = service.sync()
    second = service.sync()

    assert first.new_trades == 60 and second.new_trades == 1
    assert len(service.get_trade_history()) == 61
    assert service.get_position("XBTUSD").base_size == d("0.61")
    assert service.get_equity().drift_flag is False


def test_books_moved_by_another_process_then_checkpoint_mismatch_replays(engine: Engine) -> None:
    account = _account()
    service = _service(engine, account)
    service.sync()
    stale_state = PortfolioStore(engine).state.load_state()
    account.trade("sell", "0.5", "30000", at(30))
    service.sync()
    PortfolioStore(engine).state.save_state(stale_state, at(31))  # a slower process wrote last

    summary = service.sync()

    assert summary.rebuilt is True
    assert service.get_position("XBTUSD").base_size == 1


def test_sale_of_coins_the_ledger_never_showed_then_no_pnl_on_them_and_drift(
    engine: Engine,
) -> None:
    account = _account()  # the books explain 1.5 XBT at 23000
    service = _service(engine, account)
    service.sync()
    account.extra_balance["XBT"] = d("0.5")  # arrived by a route the ledger does not show
    account.trade("sell", "2", "30000", at(40))

    summary = service.sync()

    assert summary.drift_detected and summary.drift_assets == ("XBT",)
    recon = _stored_reconciliation(engine)
    assert recon is not None and recon["unexplained_sells"] == {"XBT": "0.5"}
    (sale,) = service.get_trade_history(limit=1)
    assert sale.pnl_quote == (d(30000) - 23000) * d("1.5")  # not a cent on the 0.5 unexplained


def _stored_reconciliation(engine: Engine) -> dict | None:
    """The stored reconciliation as its JSON document (Decimals as strings)."""
    found = PortfolioStore(engine).state.reconciliation()
    return reconciliation_to_state(found) if found else None


def _ledger_row(account: FakeAccount, ledger_id: str, refid: str, minute: int, **fields) -> None:
    account.ledger.append(
        account.ledger[0].__class__(
            ledger_id=ledger_id,
            refid=refid,
            time=at(minute),
            fee=d(0),
            kind=ledger_kind(fields["type"], fields["subtype"]),
            **fields,
        )
    )


def test_earn_allocation_to_flexible_then_basis_kept_not_a_reward(engine: Engine) -> None:
    account = _account()  # 1.5 XBT at 23000
    for lid, asset, amount in (("LE1", "XBT", "-0.5"), ("LE2", "XBT.F", "0.5")):
        _ledger_row(
            account, lid, "E1", 6, type="earn", subtype="allocation", asset=asset, amount=d(amount)
        )
    service = _service(engine, account)

    service.sync()

    assert service.get_position("XBTUSD").avg_entry_price == d(23000)
    assert {f.type for f in service.get_cash_flows(asset="XBT")} == {"transfer"}
    assert service.get_equity().drift_flag is False


def test_units_without_basis_when_sold_then_excluded_proceeds_surface(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    account = _account()
    account.deposit("SOL", "3", at(5))  # no SOL price known: no basis
    account.trade("sell", "3", "200", at(6), pair=("SOL", "USD"))
    service = _service(engine, account)

    service.sync()

    assert service.get_equity().realized_excluded == {"SOL": d(600)}
    assert service.get_pnl_summary().realized_excluded == {"SOL": d(600)}
    assert "with no known cost" in caplog.text


def test_equity_when_never_synced_or_old_then_says_so(engine: Engine) -> None:
    clock = ManualClock(at(10_000))
    service = _service(engine, _account(), clock=clock)

    before = service.get_equity()
    service.sync()
    fresh = service.get_equity()
    clock.advance(901)
    old = service.get_equity()

    assert before.never_synced and not before.trustworthy
    assert not fresh.never_synced and not fresh.stale and fresh.trustworthy
    assert old.stale and not old.never_synced


def test_summary_when_manual_trades_not_tracked_then_realized_excludes_them(
    engine: Engine,
) -> None:
    store = PortfolioStore(engine)
    for local, cl, txid in (("L1", "c-0", "OBOT1"), ("L2", "c-1", "OBOT1B")):
        _trend_order(store, local, "buy", "closed", cl, kraken_txid=txid)
    service = _service(
        engine, _tagged_account(), strategy_tags={7: "mean_rev"}, track_manual_trades=False
    )
    service.sync()

    data = summary_json(service.get_equity(), service.get_pnl_summary(), None)

    assert data["realized_pnl_usd"] == "1500"  # the bots' 1000 + 500, not the manual −1000


def test_position_realized_and_fees_when_sold_for_another_crypto_then_counted(
    engine: Engine,
) -> None:
    account = FakeAccount()
    account.deposit("USD", "100000", at(0))
    account.trade("buy", "1", "30000", at(1))
    account.trade("buy", "10", "1500", at(2), fee="15", pair=("ETH", "USD"))
    account.trade("sell", "5", "0.06", at(3), fee="0.0003", pair=("ETH", "XBT"))
    service = _service(engine, account)

    service.sync()

    eth = service.get_position("ETHUSD")
    # 5 ETH for 0.3 XBT (9000 USD) against a basis of 7500; fee 0.0003 XBT = 9 USD.
    assert eth.realized_pnl_base == d(-15) + 1500 - 9
    assert eth.fees_paid_base == d(15) + 9
