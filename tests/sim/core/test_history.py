"""Account history: pagination of trades, ledgers and closed orders; funding rows."""

from decimal import Decimal

import pytest

from krakked_core.clock import ManualClock
from krakked_core.sim.errors import SimError
from krakked_core.sim.exchange import Exchange

MARKET_BUY = {"pair": "XBTUSD", "type": "buy", "ordertype": "market", "volume": "0.001"}


def trade_many(exchange: Exchange, clock: ManualClock, n: int) -> None:
    for _ in range(n):
        exchange.private("AddOrder", MARKET_BUY)
        clock.advance(61)  # a fresh book each minute


def test_trades_history_when_more_than_50_then_pages_newest_first(
    exchange: Exchange, clock: ManualClock
) -> None:
    trade_many(exchange, clock, 55)
    first = exchange.private("TradesHistory", {})
    second = exchange.private("TradesHistory", {"ofs": "50"})
    assert first["count"] == second["count"] == 55
    assert (len(first["trades"]), len(second["trades"])) == (50, 5)
    times = [t["time"] for t in first["trades"].values()] + [
        t["time"] for t in second["trades"].values()
    ]
    assert times == sorted(times, reverse=True)
    assert not set(first["trades"]) & set(second["trades"])


def test_trades_history_when_start_end_then_start_exclusive_end_inclusive(
    exchange: Exchange, clock: ManualClock
) -> None:
    trade_many(exchange, clock, 5)
    times = sorted(t["time"] for t in exchange.private("TradesHistory", {})["trades"].values())
    window = exchange.private("TradesHistory", {"start": str(times[1]), "end": str(times[3])})
    assert sorted(t["time"] for t in window["trades"].values()) == times[2:4]
    assert window["count"] == 2


def test_ledgers_when_trades_then_pairs_with_refid_fee_on_quote(
    exchange: Exchange, clock: ManualClock
) -> None:
    trade_many(exchange, clock, 3)
    trades = exchange.private("TradesHistory", {})["trades"]
    ledger = exchange.private("Ledgers", {"type": "trade"})["ledger"]
    assert len(ledger) == 6
    for txid, trade in trades.items():
        rows = [row for row in ledger.values() if row["refid"] == txid]
        assert sorted(row["asset"] for row in rows) == ["XXBT", "ZUSD"]
        assert sorted(trade["ledgers"]) == sorted(
            k for k, r in ledger.items() if r["refid"] == txid
        )
        quote = next(r for r in rows if r["asset"] == "ZUSD")
        base = next(r for r in rows if r["asset"] == "XXBT")
        assert Decimal(quote["amount"]) == -Decimal(trade["cost"])
        assert Decimal(quote["fee"]) == Decimal(trade["fee"]) > 0
        assert Decimal(base["amount"]) == Decimal(trade["vol"]) and Decimal(base["fee"]) == 0


def test_ledgers_when_paged_and_filtered_by_asset(exchange: Exchange, clock: ManualClock) -> None:
    trade_many(exchange, clock, 30)  # 60 trade rows + the starting deposit
    everything = exchange.private("Ledgers", {})
    assert everything["count"] == 61 and len(everything["ledger"]) == 50
    rest = exchange.private("Ledgers", {"ofs": "50"})
    assert len(rest["ledger"]) == 11
    assert exchange.private("Ledgers", {"asset": "XBT"})["count"] == 30
    assert exchange.private("Ledgers", {"asset": "ZUSD", "type": "deposit"})["count"] == 1
    oldest = list(rest["ledger"].values())[-1]
    assert oldest["type"] == "deposit" and oldest["amount"] == "100000.0000"


def test_closed_orders_when_paged_then_count_and_ofs(
    exchange: Exchange, clock: ManualClock
) -> None:
    trade_many(exchange, clock, 52)
    page = exchange.private("ClosedOrders", {"ofs": "50"})
    assert page["count"] == 52 and len(page["closed"]) == 2
    closes = [o["closetm"] for o in exchange.private("ClosedOrders", {})["closed"].values()]
    assert closes == sorted(closes, reverse=True)
    start = sorted(closes)[-3]
    assert exchange.private("ClosedOrders", {"start": str(start)})["count"] == 2


def test_funding_when_deposit_withdraw_reward_then_ledger_types_and_balances(
    exchange: Exchange,
) -> None:
    exchange.deposit("XBT", Decimal("0.5"))
    exchange.withdraw("ZUSD", Decimal("250.5"))
    exchange.reward("DOT", Decimal("0.0123"))
    with pytest.raises(SimError, match="EFunding:Insufficient funds"):
        exchange.withdraw("XXBT", Decimal("0.6"))
    ledger = exchange.private("Ledgers", {})["ledger"].values()
    assert sorted(row["type"] for row in ledger) == ["deposit", "deposit", "staking", "withdrawal"]
    staking = next(row for row in ledger if row["type"] == "staking")
    assert staking["asset"] == "DOT.S"
    balance = exchange.private("Balance", {})
    assert balance == {
        "ZUSD": "99749.5000",
        "XXBT": "0.5000000000",
        "DOT.S": "0.0123000000",
    }


def test_silent_adjustment_when_made_then_balance_drifts_from_ledger(exchange: Exchange) -> None:
    exchange.adjust_balance_silently("ZUSD", Decimal("-10"))
    assert exchange.private("Balance", {})["ZUSD"] == "99990.0000"
    rows = exchange.private("Ledgers", {})["ledger"].values()
    assert sum(Decimal(r["amount"]) - Decimal(r["fee"]) for r in rows) == Decimal(100000)
