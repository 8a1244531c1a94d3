"""AddOrder's client id, deadline and validate flag, and the order lookups by client id."""

import uuid
from datetime import timedelta

import pytest

from krakked_core.clock import ManualClock
from krakked_core.sim.errors import SimError
from krakked_core.sim.exchange import Exchange
from krakked_core.sim.trading_costs import TradingCosts
from krakked_core.sim.wire import rfc3339

from .test_orders import BUY, add, order


@pytest.mark.parametrize("value", ["false", "true", "0", ""])
def test_add_order_when_validate_key_present_with_any_value_then_nothing_placed(
    exchange: Exchange, value: str
) -> None:
    result = add(exchange, **BUY, validate=value)

    assert set(result) == {"descr"}
    assert exchange.private("OpenOrders", {})["open"] == {}


@pytest.mark.parametrize("value", ["false", "true"])
def test_trading_cost_when_validate_key_present_then_add_order_costs_nothing(
    exchange: Exchange, value: str
) -> None:
    costs = TradingCosts(exchange)

    assert costs.before("AddOrder", {**BUY, "validate": value}) == {}
    assert costs.before("AddOrder", BUY) == {"XBTUSD": 1.0}


def test_add_order_when_validate_key_absent_then_real_order(exchange: Exchange) -> None:
    txid = add(exchange, **BUY)["txid"][0]

    assert list(exchange.private("OpenOrders", {})["open"]) == [txid]


def test_add_order_when_validate_then_funds_not_checked(exchange: Exchange) -> None:
    too_big = {**BUY, "volume": "5"}  # 250,000 USD: far more than the account holds
    with pytest.raises(SimError, match="EOrder:Insufficient funds"):
        add(exchange, **too_big)

    assert set(add(exchange, **too_big, validate="true")) == {"descr"}


@pytest.mark.parametrize(
    "cl_ord_id",
    [str(uuid.UUID(int=7)), uuid.UUID(int=8).hex, "strategy-a-000001x"],
)
def test_add_order_when_cl_ord_id_in_each_kraken_form_then_accepted_and_echoed(
    exchange: Exchange, cl_ord_id: str
) -> None:
    txid = add(exchange, **BUY, cl_ord_id=cl_ord_id)["txid"][0]

    assert order(exchange, txid)["cl_ord_id"] == cl_ord_id


def test_add_order_when_cl_ord_id_of_open_order_then_rejected_and_nothing_placed(
    exchange: Exchange,
) -> None:
    add(exchange, **BUY, cl_ord_id="dup")
    with pytest.raises(SimError, match="EGeneral:Invalid arguments:cl_ord_id"):
        add(exchange, **BUY, cl_ord_id="dup")

    assert len(exchange.private("OpenOrders", {})["open"]) == 1


def test_add_order_when_market_order_with_reused_cl_ord_id_then_second_order(
    exchange: Exchange,
) -> None:
    market = {**BUY, "ordertype": "market"}
    market.pop("price")
    add(exchange, **market, cl_ord_id="again")
    add(exchange, **market, cl_ord_id="again")  # the first one filled: the id was free again

    closed = exchange.private("ClosedOrders", {"cl_ord_id": "again"})
    assert closed["count"] == 2


@pytest.mark.parametrize(
    ("ahead", "error"),
    [
        (timedelta(seconds=61), "EGeneral:Invalid arguments:deadline"),
        (timedelta(seconds=0), "EService:Deadline elapsed"),
        (timedelta(seconds=-5), "EService:Deadline elapsed"),
    ],
)
def test_add_order_when_deadline_too_far_or_passed_then_kraken_error_and_nothing_placed(
    exchange: Exchange, clock: ManualClock, ahead: timedelta, error: str
) -> None:
    deadline = rfc3339(clock.now() + ahead)
    with pytest.raises(SimError, match=error):
        add(exchange, **BUY, cl_ord_id="late", deadline=deadline)

    assert exchange.private("OpenOrders", {})["open"] == {}
    assert exchange.private("ClosedOrders", {})["count"] == 0


@pytest.mark.parametrize("deadline", ["soon", "2026-03-01T12:00:45", "1772366445"])
def test_add_order_when_deadline_not_rfc3339_with_zone_then_invalid_deadline(
    exchange: Exchange, deadline: str
) -> None:
    with pytest.raises(SimError, match="EGeneral:Invalid arguments:deadline"):
        add(exchange, **BUY, deadline=deadline)


def test_add_order_when_deadline_within_a_minute_then_placed(
    exchange: Exchange, clock: ManualClock
) -> None:
    deadline = rfc3339(clock.now() + timedelta(seconds=60))

    assert add(exchange, **BUY, deadline=deadline)["txid"]
    assert add(exchange, **BUY, deadline=deadline, validate="true") == {
        "descr": {"order": "buy 0.01000000 XBTUSD @ limit 50000.0"}
    }


def test_closed_orders_when_cl_ord_id_and_time_bounds_then_only_that_order_in_range(
    exchange: Exchange, clock: ManualClock
) -> None:
    first = add(exchange, **BUY, cl_ord_id="looked-up")["txid"][0]
    exchange.private("CancelOrder", {"txid": first})
    clock.advance(120)
    middle = clock.now().timestamp() - 1  # between the two (start is exclusive)
    second = add(exchange, **BUY, cl_ord_id="looked-up")["txid"][0]
    add(exchange, **BUY, cl_ord_id="other")
    exchange.private("CancelAll", {})

    every = exchange.private("ClosedOrders", {"cl_ord_id": "looked-up"})["closed"]
    late = exchange.private("ClosedOrders", {"cl_ord_id": "looked-up", "start": str(middle)})
    early = exchange.private("ClosedOrders", {"cl_ord_id": "looked-up", "end": str(middle)})

    assert list(every) == [second, first]
    assert list(late["closed"]) == [second] and late["count"] == 1
    assert list(early["closed"]) == [first]
    assert all(o["cl_ord_id"] == "looked-up" for o in every.values())
