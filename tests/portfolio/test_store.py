"""PortfolioStore on SQLite and PostgreSQL: idempotent history, exact money, marks, state."""

from decimal import Decimal

from sqlalchemy import Engine

from krakked_core.model.account import AccountBalances
from krakked_core.portfolio.reconcile import reconcile
from krakked_core.portfolio.store import PortfolioStore
from tests.fakes.account import FakeAccount, at, d


def test_same_trades_appended_twice_then_stored_once(engine: Engine) -> None:
    account = FakeAccount()
    fill = account.trade("buy", "0.123456789012345678", "65432.1", at(1), fee="1.23456789")
    store = PortfolioStore(engine).history

    first = store.append_trades([fill, fill], {fill.trade_id: Decimal(1)}, at(2))
    second = store.append_trades([fill], {fill.trade_id: Decimal(2)}, at(3))

    assert first == [fill.trade_id] and second == []
    (event,) = store.load_trade_events()
    assert event.volume == d("0.123456789012345678")  # every digit survives the database
    assert event.quote_usd == Decimal(1)  # the first ingestion's valuation is kept
    assert event.time == at(1) and event.time.tzinfo is not None


def test_ledger_rows_appended_twice_then_stored_once(engine: Engine) -> None:
    account = FakeAccount()
    account.trade("buy", "1", "100", at(1))
    store = PortfolioStore(engine).history

    assert len(store.append_ledger_entries(account.ledger, {}, at(2))) == 2
    assert store.append_ledger_entries(account.ledger, {}, at(3)) == []


def test_marks_and_state_when_written_then_read_back(engine: Engine) -> None:
    store = PortfolioStore(engine).state
    assert store.get_mark("trades") is None and store.load_state() is None

    store.set_mark("trades", at(5), at(6))
    store.set_mark("trades", at(7), at(8))
    store.save_state({"x": "1.000000000000000000001"}, at(8))

    assert store.get_mark("trades") == at(7)
    assert store.load_state() == {"x": "1.000000000000000000001"}


def test_trade_pnl_when_saved_for_more_than_one_chunk_then_every_digit_read_back(
    engine: Engine,
) -> None:
    account = FakeAccount()
    fills = [account.trade("buy", "1", "100", at(1)) for _ in range(501)]  # a chunk is 500
    store = PortfolioStore(engine).history
    store.append_trades(fills, {}, at(2))
    pnl = {f.trade_id: d(f"-0.00000000000000000{n}") - n for n, f in enumerate(fills)}

    store.save_trade_pnl(pnl)

    assert store.trade_pnl(list(pnl)) == pnl


def test_balances_and_reconciliation_when_saved_then_read_back_exactly(engine: Engine) -> None:
    store = PortfolioStore(engine).state
    assert store.balances() is None and store.reconciliation() is None
    result = reconcile(
        {"XBT": d("1.000000000000000000001")},
        {"XBT": d(1)},
        price_of=lambda asset: d(30000),
        tolerance=d("0.01"),
        unexplained_sells={"ETH": d("0.5")},
        at=at(9),
    )

    store.save_balances(AccountBalances({"XBT.F": d("0.123456789012345678")}), at(8))
    store.save_reconciliation(result, at(9))

    balances = store.balances()
    assert balances is not None and balances.as_of == at(8)
    assert balances.amounts == {"XBT.F": d("0.123456789012345678")}
    assert store.reconciliation() == result
