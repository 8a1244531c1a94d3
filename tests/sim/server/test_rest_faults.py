"""Injected REST faults over real HTTP: each kind, the lost AddOrder, replay by seed."""

import asyncio
import json
import time
import uuid
from collections.abc import MutableMapping
from typing import Any

import pytest
import requests

from krakked_core.sim import FaultProfile
from tests.fakes.sandbox_wire import resting_buy
from tests.sim.server.conftest import MakeSandbox, client_for
from tests.sim.server.raw_kraken import RawKraken


def outcome(response: requests.Response) -> str:
    """Classify one answer: an HTTP status, a Kraken error, or ok."""
    if response.status_code != 200:
        return f"http {response.status_code}"
    errors = response.json()["error"]
    return errors[0] if errors else "ok"


def test_http_5xx_when_rate_one_then_proxy_error_without_envelope(
    make_sandbox: MakeSandbox,
) -> None:
    sim = make_sandbox(faults=FaultProfile(http_5xx=1.0))

    response = client_for(sim).public_raw("Time")

    assert response.status_code in (500, 502, 503, 504)
    assert not response.headers["content-type"].startswith("application/json")


@pytest.mark.parametrize(
    ("field", "error"),
    [("service_unavailable", "EService:Unavailable"), ("service_busy", "EService:Busy")],
)
def test_service_fault_when_rate_one_then_kraken_error_in_envelope(
    make_sandbox: MakeSandbox, field: str, error: str
) -> None:
    sim = make_sandbox(faults=FaultProfile.model_validate({field: 1.0}))
    kraken = client_for(sim)

    assert kraken.public("Time")["error"] == [error]
    assert kraken.private("Balance")["error"] == [error]


def test_service_fault_when_private_call_refused_then_nonce_not_consumed(
    make_sandbox: MakeSandbox,
) -> None:
    sim = make_sandbox(faults=FaultProfile(service_unavailable=1.0))
    kraken = client_for(sim)
    assert kraken.private("Balance", nonce=500)["error"] == ["EService:Unavailable"]

    sim.set_faults(FaultProfile())

    assert kraken.private("Balance", nonce=500)["error"] == []


def test_timeout_when_drop_then_client_times_out(make_sandbox: MakeSandbox) -> None:
    sim = make_sandbox(faults=FaultProfile(timeout=1.0, timeout_seconds=2.0, timeout_then="drop"))

    with pytest.raises(requests.exceptions.ReadTimeout):
        client_for(sim, timeout=0.5).public_raw("Time")


def test_timeout_when_answer_then_late_answer_arrives(make_sandbox: MakeSandbox) -> None:
    sim = make_sandbox(faults=FaultProfile(timeout=1.0, timeout_seconds=0.5, timeout_then="answer"))
    began = time.monotonic()

    data = client_for(sim).public("Time")

    assert data["error"] == []
    assert time.monotonic() - began >= 0.5


def test_timeout_when_held_add_order_then_order_executed(make_sandbox: MakeSandbox) -> None:
    sim = make_sandbox(
        faults=FaultProfile(
            timeout=1.0, timeout_seconds=1.0, timeout_then="drop", methods=frozenset({"AddOrder"})
        )
    )
    kraken = client_for(sim)
    cl_ord_id = uuid.uuid4().hex

    with pytest.raises(requests.exceptions.ReadTimeout):
        kraken.private_raw("AddOrder", resting_buy(kraken, cl_ord_id=cl_ord_id), timeout=0.3)

    assert len(kraken.result("OpenOrders", {"cl_ord_id": cl_ord_id})["open"]) == 1


def test_latency_when_set_then_every_answer_delayed(make_sandbox: MakeSandbox) -> None:
    sim = make_sandbox(faults=FaultProfile(latency_ms=300))
    began = time.monotonic()

    client_for(sim).public("Time")

    assert time.monotonic() - began >= 0.3


@pytest.mark.parametrize("lost_as", ["http_502", "drop"])
def test_add_order_lost_response_when_hit_then_order_exists_but_client_saw_no_txid(
    make_sandbox: MakeSandbox, lost_as: str
) -> None:
    profile = FaultProfile.model_validate(
        {"add_order_lost_response": 1.0, "lost_response_as": lost_as}
    )
    sim = make_sandbox(faults=profile)
    kraken = client_for(sim)
    cl_ord_id = uuid.uuid4().hex[:18]

    try:
        response = kraken.private_raw("AddOrder", resting_buy(kraken, cl_ord_id=cl_ord_id))
        seen = response.status_code, response.text
    except requests.exceptions.ConnectionError:
        seen = None

    if lost_as == "http_502":
        assert seen is not None and seen[0] == 502 and "txid" not in seen[1]
    else:
        assert seen is None
    # Looked up by its client id, the order is there: retrying blindly would duplicate it.
    found = kraken.result("OpenOrders", {"cl_ord_id": cl_ord_id})["open"]
    assert [order["cl_ord_id"] for order in found.values()] == [cl_ord_id]
    assert kraken.private("Balance")["error"] == []  # other calls are untouched


def test_add_order_lost_response_when_order_rejected_or_validated_then_answer_arrives(
    make_sandbox: MakeSandbox,
) -> None:
    sim = make_sandbox(faults=FaultProfile(add_order_lost_response=1.0))
    kraken = client_for(sim)
    too_big = {"pair": "XBTUSD", "type": "buy", "ordertype": "limit", "volume": "500"}

    rejected = kraken.private_raw("AddOrder", {**too_big, "price": "50000"})
    validated = kraken.private_raw("AddOrder", {**resting_buy(kraken), "validate": "true"})

    # Only an order that was placed can lose its answer; a rejection is not a duplicate risk.
    assert rejected.status_code == 200
    assert rejected.json() == {"error": ["EOrder:Insufficient funds"]}
    assert validated.status_code == 200 and validated.json()["error"] == []
    assert "txid" not in validated.json()["result"]
    assert kraken.result("OpenOrders")["open"] == {}


def _run(kraken: RawKraken, calls: int) -> list[str]:
    out = []
    for index in range(calls):
        if index % 2:
            out.append(outcome(kraken.public_raw("Time")))
        else:
            out.append(outcome(kraken.private_raw("Balance")))
    return out


def test_faults_when_same_seed_then_same_sequence_and_other_seed_differs(
    make_sandbox: MakeSandbox,
) -> None:
    profile = FaultProfile(seed=11, http_5xx=0.2, service_unavailable=0.2, service_busy=0.2)
    sim = make_sandbox(faults=profile)
    kraken = client_for(sim)

    first = _run(kraken, 30)
    sim.set_faults(profile)
    second = _run(kraken, 30)
    sim.set_faults(profile.model_copy(update={"seed": 12}))
    other = _run(kraken, 30)

    assert first == second
    assert other != first
    assert {"ok", "EService:Unavailable", "EService:Busy"} <= set(first)
    assert any(item.startswith("http 5") for item in first)


def test_control_endpoint_when_profile_posted_then_applied_and_readable(
    make_sandbox: MakeSandbox,
) -> None:
    sim = make_sandbox()
    kraken = client_for(sim)

    posted = requests.post(
        f"{sim.rest_url}/sim/faults", json={"seed": 2, "service_busy": 1.0}, timeout=10
    )
    busy = kraken.public("Time")
    bad = requests.post(f"{sim.rest_url}/sim/faults", json={"service_busy": 7}, timeout=10)
    requests.post(f"{sim.rest_url}/sim/faults", json={}, timeout=10)
    current = requests.get(f"{sim.rest_url}/sim/faults", timeout=10).json()

    assert posted.status_code == 200 and posted.json()["service_busy"] == 1.0
    assert busy["error"] == ["EService:Busy"]
    assert bad.status_code == 422
    assert current["service_busy"] == 0.0
    assert kraken.public("Time")["error"] == []


def test_control_endpoint_when_not_loopback_then_forbidden(make_sandbox: MakeSandbox) -> None:
    sim = make_sandbox()
    sent: list[MutableMapping[str, Any]] = []
    body = json.dumps({"service_busy": 1.0}).encode()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/sim/faults",
        "raw_path": b"/sim/faults",
        "query_string": b"",
        "headers": [(b"content-type", b"application/json")],
        "client": ("192.0.2.10", 40000),  # a peer that is not loopback
        "server": ("192.0.2.1", 80),
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    asyncio.run(sim.sim_app.app(scope, receive, send))

    assert sent[0]["status"] == 403
    assert sim.faults.service_busy == 0.0
