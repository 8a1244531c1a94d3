"""The client against the sandbox exchange: a lost AddOrder reply is an unknown outcome, and the
order it may have placed is found by ``cl_ord_id``, exactly once."""

import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from krakked_core.clock import ManualClock
from krakked_core.connection import KrakenRestClient
from krakked_core.connection.parsers.account import parse_open_orders
from krakked_core.connection.parsers.market import parse_ticker
from krakked_core.connection.parsers.trading import parse_add_order, parse_cancel
from krakked_core.errors import OrderOutcomeUnknown
from krakked_core.secrets import Credentials
from krakked_core.sim import FaultProfile, SandboxExchange, SimSettings
from tests.connection.conftest import SleepRecorder, make_client


@pytest.fixture
def sandbox(clock: ManualClock) -> Iterator[SandboxExchange]:
    # The clock is pinned: the sandbox's prices follow it.
    with SandboxExchange(SimSettings(seed=1, history_days=1, tier="none"), clock=clock) as sim:
        yield sim


def _client(sim: SandboxExchange, tmp_path: Path, clock: ManualClock) -> KrakenRestClient:
    credentials = Credentials.of(sim.api_key, sim.api_secret, source="env")
    return make_client(sim.rest_url, tmp_path, clock, SleepRecorder(clock), credentials, timeout=2)


def _resting_buy_price(client: KrakenRestClient) -> Decimal:
    """Half the ask: the order rests on the book."""
    (stats,) = parse_ticker(client.ticker(["XBTUSD"])).values()
    return (stats.ask / 2).quantize(Decimal("0.1"))


@pytest.mark.parametrize("lost_as", ["http_502", "drop"])
def test_lost_add_order_reply_then_unknown_and_found_once_by_cl_ord_id(
    sandbox: SandboxExchange, tmp_path: Path, clock: ManualClock, lost_as: str
) -> None:
    client = _client(sandbox, tmp_path, clock)
    price = _resting_buy_price(client)
    cl_ord_id = str(uuid.uuid4())
    sandbox.set_faults(
        FaultProfile.model_validate({"add_order_lost_response": 1.0, "lost_response_as": lost_as})
    )

    with pytest.raises(OrderOutcomeUnknown) as caught:
        client.add_order("XBTUSD", "buy", "limit", "0.001", price, cl_ord_id=cl_ord_id)

    assert caught.value.cl_ord_id == cl_ord_id
    found = parse_open_orders(client.open_orders(cl_ord_id=cl_ord_id)).items
    assert [(o.cl_ord_id, o.volume, o.limit_price) for o in found] == [
        (cl_ord_id, Decimal("0.001"), price)
    ]


def test_clean_add_order_then_txid_and_cancel_by_cl_ord_id(
    sandbox: SandboxExchange, tmp_path: Path, clock: ManualClock
) -> None:
    client = _client(sandbox, tmp_path, clock)
    price = _resting_buy_price(client)
    cl_ord_id = str(uuid.uuid4())

    ack = parse_add_order(
        client.add_order("XBTUSD", "buy", "limit", "0.001", price, cl_ord_id=cl_ord_id)
    )
    (order,) = parse_open_orders(client.open_orders(cl_ord_id=cl_ord_id)).items

    assert ack.txids == (order.txid,)
    assert parse_cancel(client.cancel_order(cl_ord_id=cl_ord_id)).count == 1
    assert parse_open_orders(client.open_orders(cl_ord_id=cl_ord_id)).items == ()
