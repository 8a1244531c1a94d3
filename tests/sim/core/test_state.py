"""Persistence and determinism: the exchange survives a restart, and one seed gives one history."""

from decimal import Decimal
from pathlib import Path
from typing import Any

from krakked_core.clock import ManualClock
from krakked_core.sim.exchange import Exchange
from krakked_core.sim.settings import SimSettings

from .conftest import START

ORDERS: list[dict[str, str]] = [
    {"pair": "XBTUSD", "type": "buy", "ordertype": "market", "volume": "0.2"},
    {"pair": "ETHUSD", "type": "buy", "ordertype": "limit", "volume": "3", "price": "1"},
    {"pair": "XBTUSD", "type": "sell", "ordertype": "limit", "volume": "0.1", "price": "1000"},
]


def run(exchange: Exchange, clock: ManualClock) -> dict[str, Any]:
    for params in ORDERS:
        exchange.private("AddOrder", params)
        clock.advance(600)
    last = Decimal(exchange.public("Ticker", {"pair": "XBTUSD"})["XXBTZUSD"]["c"][0])
    price = str((last * Decimal("1.002")).quantize(Decimal("0.1")))
    resting = exchange.private(
        "AddOrder",
        {"pair": "XBTUSD", "type": "sell", "ordertype": "limit", "volume": "0.05", "price": price},
    )
    clock.advance(3 * 3600)
    exchange.step()
    return {
        "trades": exchange.private("TradesHistory", {}),
        "ledger": exchange.private("Ledgers", {}),
        "orders": exchange.private("QueryOrders", {"txid": resting["txid"][0]}),
        "balance": exchange.private("Balance", {}),
    }


def test_fills_when_same_seed_and_orders_then_identical_histories() -> None:
    clocks = [ManualClock(START), ManualClock(START)]
    results = [run(Exchange(SimSettings(seed=11, history_days=1), c), c) for c in clocks]
    assert results[0] == results[1]
    assert results[0]["trades"]["count"] >= 3
    resting = next(iter(results[0]["orders"].values()))
    assert Decimal(resting["vol_exec"]) > 0  # a maker fill from the tape is part of the history
    assert any(t["maker"] for t in results[0]["trades"]["trades"].values())


def test_state_when_saved_and_reloaded_then_same_answers_and_ids_continue(tmp_path: Path) -> None:
    state = tmp_path / "sim" / "state.json"
    clock = ManualClock(START)
    settings = SimSettings(seed=5, history_days=1, state_file=state)
    first = Exchange(settings, clock)
    resting = first.private(
        "AddOrder",
        {
            "pair": "XBTUSD",
            "type": "buy",
            "ordertype": "limit",
            "volume": "0.01",
            "price": "50000",
            "cl_ord_id": "keep-me",
        },
    )
    first.private("AddOrder", ORDERS[0])
    first.deposit("ZEUR", Decimal("10"))
    first.private("CancelAllOrdersAfter", {"timeout": "600"})
    first.save()
    before = {
        m: first.private(m, {})
        for m in ("Balance", "BalanceEx", "OpenOrders", "TradesHistory", "Ledgers")
    }

    second = Exchange(settings, clock)
    after = {m: second.private(m, {}) for m in before}
    assert after == before
    assert second.created_at == first.created_at
    new = second.private(
        "AddOrder",
        {"pair": "XBTUSD", "type": "buy", "ordertype": "limit", "volume": "0.01", "price": "50000"},
    )
    assert new["txid"][0] not in {resting["txid"][0]}
    assert new["txid"][0] not in second.private("ClosedOrders", {})["closed"]
    twin = Exchange(SimSettings(seed=5, history_days=1), ManualClock(START))
    twin.private(
        "AddOrder",
        {
            "pair": "XBTUSD",
            "type": "buy",
            "ordertype": "limit",
            "volume": "0.01",
            "price": "50000",
            "cl_ord_id": "keep-me",
        },
    )
    twin.private("AddOrder", ORDERS[0])
    third = twin.private(
        "AddOrder",
        {"pair": "XBTUSD", "type": "buy", "ordertype": "limit", "volume": "0.01", "price": "50000"},
    )
    assert new["txid"] == third["txid"]  # the counters continued where they were
    clock.advance(700)
    second.step()  # the dead-man switch armed before the restart still fires
    assert second.private("OpenOrders", {}) == {"open": {}}
    reloaded = Exchange(settings, clock)
    assert reloaded.private("OpenOrders", {}) == {"open": {}}


def test_state_when_file_written_then_atomic_and_no_temp_left(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    exchange = Exchange(SimSettings(state_file=state), ManualClock(START))
    exchange.private("AddOrder", ORDERS[0])
    assert state.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_state_when_many_calls_within_a_second_then_saves_debounced_and_save_flushes(
    tmp_path: Path,
) -> None:
    state = tmp_path / "state.json"
    exchange = Exchange(SimSettings(seed=3, history_days=1, state_file=state), ManualClock(START))
    written_at_start = exchange.saves_written
    buy = {"pair": "XBTUSD", "type": "buy", "ordertype": "limit", "volume": "0.01"}

    txids = [
        exchange.private("AddOrder", {**buy, "price": str(50000 + i)})["txid"][0] for i in range(20)
    ]
    debounced = exchange.saves_written - written_at_start
    exchange.close()

    assert written_at_start == 1  # the new exchange's starting deposit is on disk at once
    assert debounced <= 3  # not one fsync per call (20 calls take far less than 3 s)
    assert exchange.saves_written == written_at_start + debounced + 1
    reloaded = Exchange(SimSettings(seed=3, history_days=1, state_file=state), ManualClock(START))
    assert sorted(reloaded.private("OpenOrders", {})["open"]) == sorted(txids)
