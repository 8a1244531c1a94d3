"""SandboxExchange as other tests use it: lifecycle, helpers through HTTP, background stepping."""

import json
import socket
import threading
import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from krakked_core.clock import ManualClock
from krakked_core.sim import SandboxExchange, SimSettings
from tests.fakes.sandbox_wire import resting_buy
from tests.sim.server.conftest import START, MakeSandbox, client_for


def test_context_manager_when_exited_then_no_thread_left_and_port_closed() -> None:
    before = set(threading.enumerate())

    with SandboxExchange(SimSettings(seed=2, history_days=1, tier="none")) as sim:
        port = sim.port
        assert sim.rest_url == f"http://127.0.0.1:{port}"
        assert sim.ws_url == f"ws://127.0.0.1:{port}/v2"
        assert client_for(sim).public("Time")["error"] == []

    # anyio's worker threads end asynchronously once the server's loop has shut down.
    deadline = time.monotonic() + 10
    while set(threading.enumerate()) - before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert set(threading.enumerate()) - before == set()
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass


def test_given_key_pair_when_started_then_it_is_the_full_permission_key() -> None:
    key, secret = "my-key", "c2VjcmV0LWJ5dGVzLWZvci10aGUtdGVzdA=="
    settings = SimSettings(seed=2, history_days=1, tier="none")

    with SandboxExchange(settings, api_key=key, api_secret=secret) as sim:
        assert (sim.api_key, sim.api_secret) == (key, secret)
        assert client_for(sim).private("Balance")["error"] == []


def test_deposit_helper_when_called_then_balance_over_http_shows_it(
    make_sandbox: MakeSandbox,
) -> None:
    sim = make_sandbox()
    kraken = client_for(sim)
    before = Decimal(kraken.result("Balance").get("XETH", "0"))

    sim.exchange.deposit("ETH", Decimal("1.5"))

    assert Decimal(kraken.result("Balance")["XETH"]) == before + Decimal("1.5")


def test_background_step_when_manual_clock_advances_then_dead_man_switch_fires(
    make_sandbox: MakeSandbox, manual_clock: ManualClock
) -> None:
    sim = make_sandbox(clock=manual_clock)
    kraken = client_for(sim)
    cl_ord_id = uuid.uuid4().hex[:18]
    kraken.result("AddOrder", resting_buy(kraken, cl_ord_id=cl_ord_id))
    kraken.result("CancelAllOrdersAfter", {"timeout": 60})

    manual_clock.advance(61)  # nobody calls the exchange: only the background step can act
    deadline = time.monotonic() + 5
    while sim.exchange.private("OpenOrders", {"cl_ord_id": cl_ord_id})["open"]:
        assert time.monotonic() < deadline, "the dead-man switch never fired"
        time.sleep(0.05)

    closed = kraken.result("ClosedOrders", {"cl_ord_id": cl_ord_id})["closed"]
    assert [order["status"] for order in closed.values()] == ["canceled"]


def test_start_when_port_taken_then_error_and_nothing_left_running() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        sim = SandboxExchange(SimSettings(seed=2, history_days=1), port=port)

        with pytest.raises(OSError):
            sim.start()


def _saved_open_orders(path: Path) -> set[str]:
    data = json.loads(path.read_text())
    return {order["txid"] for order in data["orders"] if order["status"] == "open"}


def test_state_file_when_running_then_flushed_within_about_a_second_and_on_stop(
    tmp_path: Path,
) -> None:
    path = tmp_path / "state.json"
    settings = SimSettings(seed=2, history_days=1, tier="none", state_file=path)
    buy = {"pair": "XBTUSD", "type": "buy", "ordertype": "limit", "volume": "0.01"}
    sim = SandboxExchange(settings, now=START).start()  # XBT far above the bids on that date
    try:
        first = sim.exchange.private("AddOrder", {**buy, "price": "50000"})["txid"][0]
        second = sim.exchange.private("AddOrder", {**buy, "price": "50001"})["txid"][0]
        # No more calls: the background step alone must write the second order (a crash now
        # would lose at most about a second).
        deadline = time.monotonic() + 5
        while second not in _saved_open_orders(path):
            assert time.monotonic() < deadline, "state never flushed by the background step"
            time.sleep(0.05)
        third = sim.exchange.private("AddOrder", {**buy, "price": "50002"})["txid"][0]
    finally:
        sim.stop()  # flushes the third at once, whatever the debounce says

    assert _saved_open_orders(path) == {first, second, third}


def test_sandbox_when_pinned_with_now_then_serves_that_date_and_runs_on() -> None:
    start = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)

    with SandboxExchange(SimSettings(seed=2, history_days=1, tier="none"), now=start) as sim:
        served = client_for(sim).public("Time")["result"]["unixtime"]
        ohlc = client_for(sim).public("OHLC", pair="XBTUSD", interval=60)["result"]

    assert 0 <= served - start.timestamp() < 60
    last = ohlc["last"]
    assert last == int(start.timestamp()) - 3600  # the newest closed bar is the pinned hour's


def test_sandbox_when_given_clock_and_now_then_refused() -> None:
    start = datetime(2025, 5, 1, tzinfo=UTC)

    with pytest.raises(ValueError, match="not both"):
        SandboxExchange(now=start, clock=ManualClock(start))
