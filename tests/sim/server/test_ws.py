"""WebSocket v2 over a real socket with the `websockets` client: protocol and injected faults."""

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from krakked_core.clock import ManualClock
from krakked_core.sim import FaultProfile, SandboxExchange
from tests.conftest import KRAKEN_SAMPLES
from tests.fakes.sandbox_wire import WAIT, collect, is_channel, opened, recv_json, recv_until
from tests.sim.server.conftest import START, MakeSandbox, client_for


def subscribe(channel: str, symbols: list[str], req_id: int, **extra: Any) -> str:
    params = {"channel": channel, "symbol": symbols, **extra}
    return json.dumps({"method": "subscribe", "params": params, "req_id": req_id})


def sample(samples: Path, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((samples / name).read_text())
    return data


def test_connect_when_opened_then_status_online_first(shared_sim: SandboxExchange) -> None:
    async def scenario() -> dict[str, Any]:
        async with connect(shared_sim.ws_url) as ws:
            return await recv_json(ws)

    status = asyncio.run(scenario())

    assert status["channel"] == "status"
    assert status["type"] == "update"
    assert status["data"][0]["system"] == "online"
    assert status["data"][0]["api_version"] == "v2"
    assert isinstance(status["data"][0]["connection_id"], int)


def test_ping_when_sent_then_pong_with_req_id_like_sample(shared_sim: SandboxExchange) -> None:
    async def scenario() -> dict[str, Any]:
        ws = await opened(shared_sim.ws_url)
        async with ws:
            await ws.send(json.dumps({"method": "ping", "req_id": 42}))
            return await recv_until(ws, lambda m: m.get("method") == "pong")

    pong = asyncio.run(scenario())

    assert set(pong) == set(sample(KRAKEN_SAMPLES, "ws_pong.json"))
    assert pong["req_id"] == 42


def test_ticker_when_subscribed_then_ack_per_symbol_and_snapshot_like_samples(
    shared_sim: SandboxExchange,
) -> None:
    async def scenario() -> list[dict[str, Any]]:
        ws = await opened(shared_sim.ws_url)
        async with ws:
            await ws.send(subscribe("ticker", ["BTC/USD", "DOGE/USD"], 1))
            return [await recv_json(ws) for _ in range(4)]

    messages = asyncio.run(scenario())

    acks = [m for m in messages if m.get("method") == "subscribe"]
    snapshots = [m for m in messages if m.get("type") == "snapshot"]
    sample_ack = sample(KRAKEN_SAMPLES, "ws_subscribe_response.json")
    assert [set(ack) for ack in acks] == [set(sample_ack)] * 2
    assert [ack["result"] for ack in acks] == [
        {"channel": "ticker", "symbol": "BTC/USD", "snapshot": True},
        {"channel": "ticker", "symbol": "DOGE/USD", "snapshot": True},
    ]
    assert all(ack["success"] and ack["req_id"] == 1 for ack in acks)
    sample_item = sample(KRAKEN_SAMPLES, "ws_ticker_snapshot.json")["data"][0]
    assert {s["data"][0]["symbol"] for s in snapshots} == {"BTC/USD", "DOGE/USD"}
    for snap in snapshots:
        assert snap["channel"] == "ticker"
        assert set(sample_item) <= set(snap["data"][0])
        assert isinstance(snap["data"][0]["bid"], float | int)


def test_subscribe_when_snapshot_false_then_ack_says_so_and_no_snapshot(
    shared_sim: SandboxExchange,
) -> None:
    async def scenario() -> list[dict[str, Any]]:
        ws = await opened(shared_sim.ws_url)
        async with ws:
            await ws.send(subscribe("ohlc", ["BTC/USD"], 10, interval=60, snapshot=False))
            return await collect(ws, 1.5)

    messages = asyncio.run(scenario())

    assert messages[0]["result"]["snapshot"] is False
    assert [m for m in messages if m.get("type") == "snapshot"] == []


def test_ticker_when_price_moves_then_update_at_most_once_a_second(
    make_sandbox: MakeSandbox, manual_clock: ManualClock
) -> None:
    sim = make_sandbox(clock=manual_clock)

    async def scenario() -> list[dict[str, Any]]:
        ws = await opened(sim.ws_url)
        async with ws:
            await ws.send(subscribe("ticker", ["BTC/USD"], 2))
            first = await recv_until(ws, is_channel("ticker", "snapshot"))
            manual_clock.advance(180)
            update = await recv_until(ws, is_channel("ticker", "update"))
            return [first, update, *await collect(ws, 1.5)]

    snapshot, update, *rest = asyncio.run(scenario())

    assert update["data"][0]["symbol"] == "BTC/USD"
    assert update["data"][0] != snapshot["data"][0]
    assert [m for m in rest if m.get("channel") == "ticker"] == []  # clock still: no news


def test_ohlc_when_subscribed_then_running_candle_then_new_interval_begin(
    make_sandbox: MakeSandbox, manual_clock: ManualClock
) -> None:
    sim = make_sandbox(clock=manual_clock)

    async def scenario() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        ws = await opened(sim.ws_url)
        async with ws:
            await ws.send(subscribe("ohlc", ["ETH/USD"], 3, interval=5))
            ack = await recv_until(ws, lambda m: m.get("method") == "subscribe")
            snap = await recv_until(ws, is_channel("ohlc", "snapshot"))
            manual_clock.advance(300)
            update = await recv_until(ws, lambda m: is_new_interval(m, snap))
            return ack, snap, update

    ack, snap, update = asyncio.run(scenario())

    assert ack["result"] == {
        "channel": "ohlc",
        "symbol": "ETH/USD",
        "interval": 5,
        "snapshot": True,
    }
    item = snap["data"][0]
    assert set(sample(KRAKEN_SAMPLES, "ws_ohlc_update.json")["data"][0]) <= set(item)
    assert item["symbol"] == "ETH/USD" and item["interval"] == 5
    assert update["data"][0]["interval_begin"] > item["interval_begin"]


def is_new_interval(message: dict[str, Any], snapshot: dict[str, Any]) -> bool:
    begin = snapshot["data"][0]["interval_begin"]
    return is_channel("ohlc", "update")(message) and message["data"][0]["interval_begin"] > begin


def test_ohlc_when_interval_ends_then_its_last_update_holds_every_trade_rest_has(
    make_sandbox: MakeSandbox, manual_clock: ManualClock
) -> None:
    # Kraken updates the candle on every trade; the sandbox polls once a second, so without
    # care the trades after the last poll of an interval never reach the client.
    manual_clock.set(START.replace(minute=1, second=1))
    sim = make_sandbox(clock=manual_clock)

    async def scenario() -> list[dict[str, Any]]:
        ws = await opened(sim.ws_url)
        async with ws:
            await ws.send(subscribe("ohlc", ["ETH/USD"], 4, interval=1))
            snap = await recv_until(ws, is_channel("ohlc", "snapshot"))
            manual_clock.advance(60)  # into the next minute: the polled candle is a new one
            messages = [snap]
            while not is_new_interval(messages[-1], snap):
                messages.append(await recv_until(ws, is_channel("ohlc")))
            return messages

    *first_minute, _next = asyncio.run(scenario())
    last = first_minute[-1]["data"][0]
    minute = int(START.replace(minute=1, second=0).timestamp())
    [row] = [
        r
        for r in client_for(sim).public("OHLC", pair="ETHUSD")["result"]["XETHZUSD"]
        if r[0] == minute
    ]
    assert int(row[7]) > first_minute[0]["data"][0]["trades"]  # trades after the snapshot
    assert (last["close"], last["volume"], last["trades"]) == (
        float(row[4]),
        float(row[6]),
        int(row[7]),
    )


def test_heartbeat_when_subscribed_and_idle_then_about_once_a_second(
    make_sandbox: MakeSandbox, manual_clock: ManualClock
) -> None:
    sim = make_sandbox(clock=manual_clock)

    async def scenario() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        ws = await opened(sim.ws_url)
        async with ws:
            before = await collect(ws, 1.2)  # no subscription yet: Kraken sends none
            await ws.send(subscribe("ticker", ["BTC/USD"], 4))
            return before, await collect(ws, 2.7)

    before, after = asyncio.run(scenario())

    assert [m for m in before if m.get("channel") == "heartbeat"] == []
    beats = [m for m in after if m.get("channel") == "heartbeat"]
    assert 2 <= len(beats) <= 3
    assert beats[0] == {"channel": "heartbeat"}


def test_unsubscribe_when_subscribed_then_ack_and_no_more_data(
    make_sandbox: MakeSandbox, manual_clock: ManualClock
) -> None:
    sim = make_sandbox(clock=manual_clock)

    async def scenario() -> tuple[dict[str, Any], list[dict[str, Any]]]:
        ws = await opened(sim.ws_url)
        async with ws:
            await ws.send(subscribe("ticker", ["BTC/USD"], 5))
            await recv_until(ws, is_channel("ticker", "snapshot"))
            unsubscribe = {"channel": "ticker", "symbol": ["BTC/USD"]}
            await ws.send(json.dumps({"method": "unsubscribe", "params": unsubscribe, "req_id": 6}))
            ack = await recv_until(ws, lambda m: m.get("method") == "unsubscribe")
            manual_clock.advance(180)
            return ack, await collect(ws, 2.0)

    ack, after = asyncio.run(scenario())

    assert ack["success"] is True and ack["req_id"] == 6
    assert ack["result"] == {"channel": "ticker", "symbol": "BTC/USD"}
    assert [m for m in after if m.get("channel") == "ticker"] == []


@pytest.mark.parametrize(
    ("request_text", "error"),
    [
        (subscribe("ticker", ["BTC/XYZ"], 7), "Currency pair not supported BTC/XYZ"),
        # v2 takes only BTC/DOGE names, exactly spelled: REST's wsname or altname are refused.
        (subscribe("ticker", ["XBT/USD"], 7), "Currency pair not supported XBT/USD"),
        (subscribe("ohlc", ["XDG/USD"], 7), "Currency pair not supported XDG/USD"),
        (subscribe("ticker", ["btc/usd"], 7), "Currency pair not supported btc/usd"),
        (subscribe("book", ["BTC/USD"], 7), "Channel(s) not found"),
        (subscribe("ohlc", ["BTC/USD"], 7, interval=7), "Subscription ohlc interval not supported"),
        (
            json.dumps({"method": "subscribe", "params": {"channel": "ticker"}, "req_id": 7}),
            "Missing field: symbol",
        ),
        (json.dumps({"method": "dance", "req_id": 7}), "Event(s) not found"),
        ("{not json", "Malformed request"),
    ],
)
def test_bad_request_when_sent_then_v2_error_ack(
    shared_sim: SandboxExchange, request_text: str, error: str
) -> None:
    async def scenario() -> dict[str, Any]:
        ws = await opened(shared_sim.ws_url)
        async with ws:
            await ws.send(request_text)
            return await recv_until(ws, lambda m: "success" in m)

    ack = asyncio.run(scenario())

    assert ack["success"] is False
    assert ack["error"] == error
    assert "time_in" in ack and "time_out" in ack
    if request_text.startswith('{"method"'):
        assert ack["req_id"] == 7


def test_drop_every_seconds_when_set_then_connection_dropped_and_reconnect_works(
    make_sandbox: MakeSandbox,
) -> None:
    sim = make_sandbox(faults=FaultProfile(drop_every_seconds=1.0))

    async def scenario() -> tuple[bool, dict[str, Any]]:
        ws = await opened(sim.ws_url)
        dropped = False
        try:
            await collect(ws, 4.0)
            await ws.recv()
        except ConnectionClosed:
            dropped = True
        ws2 = await connect(sim.ws_url)
        async with ws2:
            return dropped, await recv_json(ws2)

    dropped, status_again = asyncio.run(scenario())

    assert dropped
    assert status_again["channel"] == "status"


def test_malformed_frames_when_rate_one_then_data_frames_broken_but_acks_valid(
    make_sandbox: MakeSandbox,
) -> None:
    sim = make_sandbox(faults=FaultProfile(malformed_frame_rate=1.0))

    async def scenario() -> list[str | bytes]:
        ws = await opened(sim.ws_url)
        async with ws:
            await ws.send(subscribe("ticker", ["BTC/USD"], 8))
            return [await asyncio.wait_for(ws.recv(), WAIT) for _ in range(3)]

    ack, *frames = asyncio.run(scenario())

    assert json.loads(ack)["success"] is True
    for frame in frames:  # the snapshot and a heartbeat: both broken
        with pytest.raises(json.JSONDecodeError):
            json.loads(frame)


def test_silent_channel_when_acknowledged_then_no_data_but_heartbeats_continue(
    make_sandbox: MakeSandbox, manual_clock: ManualClock
) -> None:
    sim = make_sandbox(clock=manual_clock, faults=FaultProfile(silent_channels=frozenset({"ohlc"})))

    async def scenario() -> tuple[dict[str, Any], list[dict[str, Any]]]:
        ws = await opened(sim.ws_url)
        async with ws:
            await ws.send(subscribe("ohlc", ["BTC/USD"], 9, interval=1))
            ack = await recv_until(ws, lambda m: m.get("method") == "subscribe")
            manual_clock.advance(120)
            return ack, await collect(ws, 2.5)

    ack, after = asyncio.run(scenario())

    assert ack["success"] is True
    assert [m for m in after if m.get("channel") == "ohlc"] == []
    assert len([m for m in after if m.get("channel") == "heartbeat"]) >= 2
