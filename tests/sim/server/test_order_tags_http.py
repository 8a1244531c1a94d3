"""AddOrder's validate, deadline and cl_ord_id over real HTTP (raw requests, pinned clock)."""

import uuid
from datetime import timedelta

import pytest

from krakked_core.sim import SandboxExchange
from krakked_core.sim.wire import rfc3339
from tests.fakes.sandbox_wire import resting_buy
from tests.sim.server.raw_kraken import RawKraken


@pytest.mark.parametrize("as_json", [False, True])
def test_add_order_when_validate_false_then_only_validated_like_kraken(
    kraken: RawKraken, as_json: bool
) -> None:
    cl_ord_id = uuid.uuid4().hex
    params = resting_buy(kraken, cl_ord_id=cl_ord_id, validate=False)

    result = kraken.result("AddOrder", params, as_json=as_json)

    assert set(result) == {"descr"}
    assert kraken.result("OpenOrders", {"cl_ord_id": cl_ord_id})["open"] == {}


@pytest.mark.parametrize(
    ("ahead", "error"),
    [(61, "EGeneral:Invalid arguments:deadline"), (-5, "EService:Deadline elapsed")],
)
def test_add_order_when_deadline_out_of_window_then_kraken_error_and_no_order(
    kraken: RawKraken, shared_sim: SandboxExchange, ahead: int, error: str
) -> None:
    cl_ord_id = uuid.uuid4().hex
    deadline = rfc3339(shared_sim.clock.now() + timedelta(seconds=ahead))

    answer = kraken.private("AddOrder", resting_buy(kraken, cl_ord_id=cl_ord_id, deadline=deadline))

    assert answer["error"] == [error]
    assert kraken.result("OpenOrders", {"cl_ord_id": cl_ord_id})["open"] == {}
    assert kraken.result("ClosedOrders", {"cl_ord_id": cl_ord_id})["count"] == 0


def test_add_order_when_deadline_ahead_then_placed_and_cancelled_by_cl_ord_id(
    kraken: RawKraken, shared_sim: SandboxExchange
) -> None:
    cl_ord_id = str(uuid.uuid4())
    deadline = rfc3339(shared_sim.clock.now() + timedelta(seconds=30))

    txid = kraken.result("AddOrder", resting_buy(kraken, cl_ord_id=cl_ord_id, deadline=deadline))[
        "txid"
    ][0]
    cancelled = kraken.result("CancelOrder", {"cl_ord_id": cl_ord_id})
    closed = kraken.result("ClosedOrders", {"cl_ord_id": cl_ord_id})["closed"]

    assert cancelled == {"count": 1}
    assert list(closed) == [txid]
    assert closed[txid]["status"] == "canceled" and closed[txid]["cl_ord_id"] == cl_ord_id
    assert kraken.result("QueryOrders", {"txid": txid})[txid]["cl_ord_id"] == cl_ord_id


def test_add_order_when_cl_ord_id_and_userref_together_then_rejected(kraken: RawKraken) -> None:
    answer = kraken.private("AddOrder", resting_buy(kraken, cl_ord_id="both", userref=7))

    assert answer["error"] == ["EGeneral:Invalid arguments:cl_ord_id"]
