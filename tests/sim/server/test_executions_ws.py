"""GetWebSocketsToken and the authenticated ``executions`` channel over real sockets."""

import asyncio
import json
import uuid
from typing import Any

import requests
from websockets.asyncio.client import ClientConnection

from krakked_core.clock import ManualClock
from krakked_core.sim import FaultProfile, SandboxExchange
from tests.fakes.sandbox_wire import collect, is_channel, opened, recv_json, recv_until, resting_buy
from tests.sim.server.conftest import MakeSandbox, client_for
from tests.sim.server.raw_kraken import RawKraken

MARKET_BUY = {"pair": "XBTUSD", "type": "buy", "ordertype": "market", "volume": "0.001"}


def executions(token: Any = None, req_id: int = 1, **extra: Any) -> str:
    params: dict[str, Any] = {"channel": "executions", **extra}
    if token is not None:
        params["token"] = token
    return json.dumps({"method": "subscribe", "params": params, "req_id": req_id})


def token_for(kraken: RawKraken) -> str:
    result = kraken.result("GetWebSocketsToken")
    assert result["expires"] == 900
    token: str = result["token"]
    return token


async def subscribed(sim: SandboxExchange, token: str, **extra: Any) -> ClientConnection:
    """A connection subscribed to executions, its ack and snapshot read."""
    ws = await opened(sim.ws_url)
    await ws.send(executions(token, **extra))
    ack = await recv_until(ws, lambda m: m.get("method") == "subscribe")
    assert ack["success"] is True and ack["result"]["channel"] == "executions", ack
    return ws


def test_subscribe_when_token_missing_or_not_issued_then_refused(
    shared_sim: SandboxExchange,
) -> None:
    async def scenario() -> list[dict[str, Any]]:
        ws = await opened(shared_sim.ws_url)
        async with ws:
            await ws.send(executions(None, req_id=1))
            await ws.send(executions("not-a-token", req_id=2))
            return [await recv_json(ws), await recv_json(ws)]

    missing, forged = asyncio.run(scenario())

    assert missing["success"] is False and missing["error"] == "Missing field: token"
    assert forged["success"] is False and forged["error"] == "Invalid token"
    assert forged["req_id"] == 2


def test_executions_when_order_fills_then_snapshot_and_sequenced_updates_to_filled(
    make_sandbox: MakeSandbox,
) -> None:
    sim = make_sandbox()
    kraken = client_for(sim)
    resting = kraken.result("AddOrder", resting_buy(kraken, cl_ord_id="rests-1"))["txid"][0]
    token = token_for(kraken)
    cl_ord_id = str(uuid.uuid4())

    async def scenario() -> tuple[dict[str, Any], list[dict[str, Any]]]:
        ws = await subscribed(sim, token)
        async with ws:
            snapshot = await recv_until(ws, is_channel("executions", "snapshot"))
            await asyncio.to_thread(
                kraken.result, "AddOrder", {**MARKET_BUY, "cl_ord_id": cl_ord_id}
            )
            updates = [await recv_until(ws, is_channel("executions", "update"))]
            while not any(e["exec_type"] == "filled" for e in updates[-1]["data"]):
                updates.append(await recv_until(ws, is_channel("executions", "update")))
            return snapshot, updates

    snapshot, updates = asyncio.run(scenario())

    assert snapshot["sequence"] == 1
    assert [(o["order_id"], o["cl_ord_id"]) for o in snapshot["data"]] == [(resting, "rests-1")]
    assert [u["sequence"] for u in updates] == list(range(2, 2 + len(updates)))
    events = [e for u in updates for e in u["data"]]
    assert [e["exec_type"] for e in events][:2] == ["pending_new", "new"]
    assert events[-1]["exec_type"] == "filled" and events[-1]["order_status"] == "filled"
    assert {e["cl_ord_id"] for e in events} == {cl_ord_id}
    fills = [e for e in events if e["exec_type"] == "trade"]
    trades = kraken.result("TradesHistory")["trades"]
    assert fills and all(f["exec_id"] in trades for f in fills)
    assert {f["order_status"] for f in fills} == {"partially_filled"}


def test_executions_when_dead_man_switch_fires_then_cancellation_sent(
    make_sandbox: MakeSandbox, manual_clock: ManualClock
) -> None:
    sim = make_sandbox(clock=manual_clock)
    kraken = client_for(sim)
    txid = kraken.result("AddOrder", resting_buy(kraken, cl_ord_id="guarded"))["txid"][0]
    kraken.result("CancelAllOrdersAfter", {"timeout": "60"})
    token = token_for(kraken)

    async def scenario() -> dict[str, Any]:
        ws = await subscribed(sim, token, snap_orders=False, snap_trades=False)
        async with ws:
            snapshot = await recv_until(ws, is_channel("executions", "snapshot"))
            assert snapshot["data"] == []
            manual_clock.advance(61)  # the sandbox's stepper fires the switch
            return await recv_until(ws, is_channel("executions", "update"))

    update = asyncio.run(scenario())

    [event] = update["data"]
    assert (event["order_id"], event["cl_ord_id"]) == (txid, "guarded")
    assert event["exec_type"] == "canceled" and event["order_status"] == "canceled"
    assert update["sequence"] == 2


def test_executions_when_silent_channel_fault_then_acked_but_no_updates(
    make_sandbox: MakeSandbox,
) -> None:
    sim = make_sandbox(faults=FaultProfile(silent_channels=frozenset({"executions"})))
    kraken = client_for(sim)
    token = token_for(kraken)

    async def scenario() -> list[dict[str, Any]]:
        ws = await subscribed(sim, token)
        async with ws:
            await asyncio.to_thread(kraken.result, "AddOrder", MARKET_BUY)
            return await collect(ws, 1.5)

    seen = asyncio.run(scenario())

    assert not [m for m in seen if is_channel("executions", "update")(m)]


def test_lost_add_order_reply_when_market_order_with_cl_ord_id_then_found_and_counted_once(
    make_sandbox: MakeSandbox,
) -> None:
    sim = make_sandbox(faults=FaultProfile(add_order_lost_response=1.0, methods={"AddOrder"}))
    kraken = client_for(sim)
    cl_ord_id = uuid.uuid4().hex

    lost = kraken.private_raw("AddOrder", {**MARKET_BUY, "cl_ord_id": cl_ord_id})

    assert lost.status_code == 502
    closed = kraken.result("ClosedOrders", {"cl_ord_id": cl_ord_id})
    assert closed["count"] == 1
    [found] = closed["closed"].values()
    assert found["cl_ord_id"] == cl_ord_id and found["status"] == "closed"
    counts = requests.get(f"{sim.rest_url}/sim/orders/cl_ord_ids", timeout=10).json()["counts"]
    assert counts == {cl_ord_id: 1}
    # Resent blindly, the filled order's id is free again: a second order (FACTS), counted.
    kraken.private_raw("AddOrder", {**MARKET_BUY, "cl_ord_id": cl_ord_id})
    counts = requests.get(f"{sim.rest_url}/sim/orders/cl_ord_ids", timeout=10).json()["counts"]
    assert counts == {cl_ord_id: 2}
