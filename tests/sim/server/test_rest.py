"""Kraken REST over real HTTP: envelopes, auth, permissions, rate limits (raw requests)."""

import json
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import requests

from krakked_core.clock import ManualClock
from krakked_core.sim import SandboxExchange
from tests.conftest import KRAKEN_SAMPLES
from tests.fakes.sandbox_wire import resting_buy
from tests.sim.server.conftest import MakeSandbox, client_for
from tests.sim.server.raw_kraken import RawKraken, kraken_sign, next_nonce


def _sample(samples: Path, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((samples / name).read_text())
    return data


def test_time_when_called_over_http_then_kraken_envelope_like_sample(kraken: RawKraken) -> None:
    response = kraken.public_raw("Time")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    data = response.json()
    sample = _sample(KRAKEN_SAMPLES, "http_server_time.json")
    assert data["error"] == []
    assert set(data["result"]) == set(sample["result"])
    assert isinstance(data["result"]["unixtime"], int)


def test_public_endpoints_when_called_then_shapes_match_samples(kraken: RawKraken) -> None:
    status = kraken.public("SystemStatus")
    ticker = kraken.public("Ticker", pair="XBTUSD")
    pairs = kraken.public("AssetPairs", pair="XBTUSD")
    ohlc = kraken.public("OHLC", pair="XBTUSD", interval=60)

    assert set(status["result"]) == set(
        _sample(KRAKEN_SAMPLES, "http_system_status.json")["result"]
    )
    sample_ticker = next(iter(_sample(KRAKEN_SAMPLES, "http_ticker.json")["result"].values()))
    assert set(next(iter(ticker["result"].values()))) == set(sample_ticker)
    assert next(iter(pairs["result"].values()))["wsname"] == "XBT/USD"
    assert "last" in ohlc["result"]
    rows = next(value for key, value in ohlc["result"].items() if key != "last")
    assert all(len(row) == 8 for row in rows)


def test_public_when_unknown_pair_or_method_then_kraken_error_strings(kraken: RawKraken) -> None:
    assert kraken.public("Ticker", pair="NOPEUSD")["error"] == ["EQuery:Unknown asset pair"]
    unknown = kraken.public("NoSuchMethod")
    assert unknown["error"] == ["EGeneral:Unknown method"]
    assert kraken.private("NoSuchMethod")["error"] == ["EGeneral:Unknown method"]
    assert "result" not in unknown


def test_private_when_form_and_json_bodies_then_both_verified_over_raw_body(
    kraken: RawKraken,
) -> None:
    form = kraken.private("Balance")
    as_json = kraken.private("Balance", as_json=True)

    assert form["error"] == [] and as_json["error"] == []
    assert form["result"] == as_json["result"]
    assert Decimal(form["result"]["ZUSD"]) > 0


def test_private_when_unknown_key_then_invalid_key(kraken: RawKraken) -> None:
    assert kraken.private("Balance", key="unknown-key")["error"] == ["EAPI:Invalid key"]


def test_private_when_signed_with_wrong_secret_then_invalid_signature(
    kraken: RawKraken, shared_sim: SandboxExchange
) -> None:
    _, other_secret = shared_sim.create_key()

    data = kraken.private("Balance", secret=other_secret)

    assert data["error"] == ["EAPI:Invalid signature"]


def test_private_when_body_changed_after_signing_then_invalid_signature(
    kraken: RawKraken,
) -> None:
    nonce = next_nonce()
    signed = f"nonce={nonce}".encode()
    sent = f"nonce={nonce}&asset=ZUSD".encode()
    response = requests.post(
        f"{kraken.base_url}/0/private/Balance",
        data=sent,
        headers={
            "API-Key": kraken.key,
            "API-Sign": kraken_sign(kraken.secret, "/0/private/Balance", str(nonce), signed),
            "Content-Type": "application/x-www-form-urlencoded",
        },
        timeout=10,
    )

    assert response.json()["error"] == ["EAPI:Invalid signature"]


def test_private_when_nonce_replayed_or_decreasing_then_invalid_nonce(
    shared_sim: SandboxExchange,
) -> None:
    key, secret = shared_sim.create_key()  # its own key: jumping its nonce harms no other test
    kraken = RawKraken(shared_sim.rest_url, key, secret)
    nonce = next_nonce() + 1_000_000
    assert kraken.private("Balance", nonce=nonce)["error"] == []

    replayed = kraken.private("Balance", nonce=nonce)
    lower = kraken.private("Balance", nonce=nonce - 1)

    assert replayed["error"] == ["EAPI:Invalid nonce"]
    assert lower["error"] == ["EAPI:Invalid nonce"]
    assert kraken.private("Balance", nonce=nonce + 1)["error"] == []


def test_private_when_read_only_key_then_add_order_denied_and_balance_works(
    kraken: RawKraken, shared_sim: SandboxExchange
) -> None:
    key, secret = shared_sim.create_key(read_only=True)
    reader = RawKraken(shared_sim.rest_url, key, secret)

    denied = reader.private("AddOrder", resting_buy(kraken))
    cancel_all = reader.private("CancelAll")
    balance = reader.private("Balance")

    assert denied["error"] == ["EGeneral:Permission denied"]
    assert cancel_all["error"] == ["EGeneral:Permission denied"]
    assert balance["error"] == []


def test_private_when_get_instead_of_post_then_bad_request(kraken: RawKraken) -> None:
    response = requests.get(f"{kraken.base_url}/0/private/Balance", timeout=10)

    assert response.json()["error"] == ["EAPI:Bad request"]


def test_add_order_when_placed_then_visible_by_cl_ord_id(kraken: RawKraken) -> None:
    cl_ord_id = uuid.uuid4().hex[:18]

    added = kraken.result("AddOrder", resting_buy(kraken, cl_ord_id=cl_ord_id))
    open_orders = kraken.result("OpenOrders", {"cl_ord_id": cl_ord_id})["open"]

    assert list(open_orders) == added["txid"]
    assert kraken.result("CancelOrder", {"cl_ord_id": cl_ord_id})["count"] == 1


def test_private_counter_when_starter_tier_then_rate_limit_exceeded(
    make_sandbox: MakeSandbox, manual_clock: ManualClock
) -> None:
    sim = make_sandbox(tier="starter", clock=manual_clock)
    kraken = client_for(sim)

    errors = [kraken.private("Balance")["error"] for _ in range(16)]

    assert errors[:15] == [[]] * 15
    assert errors[15] == ["EAPI:Rate limit exceeded"]
    assert kraken.private("Ledgers")["error"] == ["EAPI:Rate limit exceeded"]
    manual_clock.advance(10)  # −0.33/s: about three calls' worth
    assert kraken.private("Balance")["error"] == []


def test_private_counter_when_tier_none_then_no_limit(
    make_sandbox: MakeSandbox, manual_clock: ManualClock
) -> None:
    sim = make_sandbox(tier="none", clock=manual_clock)
    kraken = client_for(sim)

    assert all(kraken.private("Ledgers")["error"] == [] for _ in range(30))


def _add_cancel_until_limited(kraken: RawKraken, rounds: int) -> list[str]:
    """Add and at once cancel orders (each young cancel costs 8); return the errors seen."""
    seen: list[str] = []
    for _ in range(rounds):
        added = kraken.private("AddOrder", resting_buy(kraken))
        seen.extend(added["error"])
        if added["error"]:
            break
        cancelled = kraken.private("CancelOrder", {"txid": added["result"]["txid"][0]})
        seen.extend(cancelled["error"])
        if cancelled["error"]:
            break
    return seen


def test_trading_counter_when_young_cancels_pile_up_then_order_rate_limit(
    make_sandbox: MakeSandbox, manual_clock: ManualClock
) -> None:
    sim = make_sandbox(tier="starter", clock=manual_clock)

    seen = _add_cancel_until_limited(client_for(sim), rounds=10)

    # Starter: threshold 60; each round costs 1 + 8, so the seventh round goes over.
    assert seen == ["EOrder:Rate limit exceeded"]
    assert sim.limiter.trading_level("XBTUSD") <= 60


def test_trading_counter_when_tier_none_then_never_limited(
    make_sandbox: MakeSandbox, manual_clock: ManualClock
) -> None:
    sim = make_sandbox(tier="none", clock=manual_clock)

    assert _add_cancel_until_limited(client_for(sim), rounds=10) == []
