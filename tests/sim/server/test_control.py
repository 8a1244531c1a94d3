"""The loopback control routes a running `krakked sim` is driven through, over real HTTP."""

import asyncio
import json
from collections.abc import MutableMapping
from decimal import Decimal
from typing import Any

import pytest
import requests

from krakked_core.sim import SandboxExchange
from tests.fakes.sandbox_wire import resting_buy
from tests.sim.server.conftest import MakeSandbox, client_for
from tests.sim.server.raw_kraken import RawKraken


def post(base_url: str, route: str, body: Any) -> requests.Response:
    return requests.post(f"{base_url}/sim/{route}", json=body, timeout=10)


def test_control_routes_when_posted_then_ledger_orders_and_keys_as_if_on_kraken(
    make_sandbox: MakeSandbox,
) -> None:
    sim = make_sandbox()
    kraken = client_for(sim)
    order = resting_buy(kraken)

    deposit = post(sim.rest_url, "deposit", {"asset": "ETH", "amount": "2.5"})
    withdraw = post(sim.rest_url, "withdraw", {"asset": "ZUSD", "amount": 100.25})
    reward = post(sim.rest_url, "reward", {"asset": "DOT", "amount": "0.5"})
    manual = post(
        sim.rest_url,
        "order",
        {k: order[k] for k in ("pair", "ordertype", "volume", "price")} | {"side": "buy"},
    )
    read_only = post(sim.rest_url, "keys", {"read_only": True})

    assert [r.status_code for r in (deposit, withdraw, reward, manual, read_only)] == [200] * 5
    balance = kraken.result("Balance")
    assert Decimal(balance["XETH"]) == Decimal("2.5")
    assert Decimal(balance["ZUSD"]) == Decimal("100000") - Decimal("100.25")
    assert Decimal(balance["DOT.S"]) == Decimal("0.5")
    ledger = kraken.result("Ledgers")["ledger"]
    assert {ledger[r.json()["ledger_id"]]["type"] for r in (deposit, withdraw, reward)} == {
        "deposit",
        "withdrawal",
        "staking",
    }
    assert list(kraken.result("OpenOrders")["open"]) == [manual.json()["txid"]]
    keys = read_only.json()
    assert set(keys) == {"api_key", "api_secret", "read_only"} and keys["read_only"] is True
    viewer = RawKraken(sim.rest_url, keys["api_key"], keys["api_secret"])
    assert viewer.private("Balance")["error"] == []
    assert viewer.private("AddOrder", resting_buy(kraken))["error"] == [
        "EGeneral:Permission denied"
    ]


@pytest.mark.parametrize(
    ("route", "body", "error"),
    [
        ("deposit", {"asset": "ETH"}, "amount"),
        ("deposit", {"asset": "ETH", "amount": "-1"}, "amount"),
        ("deposit", {"asset": "ETH", "amount": "lots"}, "amount"),
        ("deposit", {"asset": "NOPE", "amount": "1"}, "EQuery:Unknown asset"),
        ("withdraw", {"asset": "ZUSD", "amount": "1000000"}, "EFunding:Insufficient funds"),
        ("reward", {"asset": "ETH", "amount": "1", "extra": 1}, "extra"),
        ("order", {"pair": "XBTUSD", "side": "hold", "ordertype": "market", "volume": 1}, "side"),
        (
            "order",
            {"pair": "XBTUSD", "side": "buy", "ordertype": "market", "volume": "500"},
            "EOrder:Insufficient funds",
        ),
        ("keys", {"read_only": "perhaps"}, "read_only"),
        ("keys", "[not json", "JSON"),
    ],
)
def test_control_routes_when_body_bad_then_422_and_nothing_changed(
    shared_sim: SandboxExchange, route: str, body: Any, error: str
) -> None:
    sim = shared_sim
    kraken = client_for(sim)
    before = kraken.result("Ledgers")["count"]

    if isinstance(body, str):
        response = requests.post(f"{sim.rest_url}/sim/{route}", data=body, timeout=10)
    else:
        response = post(sim.rest_url, route, body)

    assert response.status_code == 422
    assert error in response.json()["error"]
    assert kraken.result("Ledgers")["count"] == before
    assert kraken.result("OpenOrders")["open"] == {}


@pytest.mark.parametrize("route", ["deposit", "withdraw", "reward", "order", "keys"])
def test_control_routes_when_not_loopback_then_forbidden(
    shared_sim: SandboxExchange, route: str
) -> None:
    sim = shared_sim
    sent: list[MutableMapping[str, Any]] = []
    body = json.dumps({"asset": "ZUSD", "amount": "5", "read_only": False}).encode()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": f"/sim/{route}",
        "raw_path": f"/sim/{route}".encode(),
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
    assert b"api_secret" not in b"".join(m.get("body", b"") for m in sent)
    assert Decimal(sim.exchange.private("Balance", {})["ZUSD"]) == Decimal("100000")
