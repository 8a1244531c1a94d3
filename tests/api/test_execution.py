"""Orders, cancels and flatten without an OMS in the API process: a clear 503, never invented
orders, and every refused action audited; a mode change needs nothing of the OMS."""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from tests.api.conftest import START, Api, ApiFactory

UNAVAILABLE = "no execution service (OMS) in this API process"


@pytest.mark.parametrize(
    "path",
    ["/api/execution/open_orders", "/api/execution/recent_executions", "/api/execution/orders/x"],
)
def test_reads_when_no_oms_then_503_saying_so(api: Api, path: str) -> None:
    response = api.get(path)
    assert response.status_code == 503
    assert response.json()["data"] is None
    assert UNAVAILABLE in response.json()["error"]


@pytest.mark.parametrize(
    ("path", "body", "action"),
    [
        ("/api/execution/cancel/x", None, "cancel_order"),
        ("/api/execution/cancel_all", {"confirm": "CANCEL ALL"}, "cancel_all"),
        ("/api/execution/flatten_all", {"confirm": "FLATTEN"}, "flatten_all"),
    ],
)
def test_actions_when_no_oms_then_503_and_audited_refused(
    api: Api, path: str, body: dict[str, str] | None, action: str
) -> None:
    response = api.send("post", path, body)
    assert response.status_code == 503
    assert UNAVAILABLE in response.json()["error"]
    [entry] = api.data("/api/audit")
    assert (entry["action"], entry["outcome"]) == (action, "refused")


def test_health_when_no_oms_then_execution_not_ok_saying_why(api: Api) -> None:
    health = api.data("/api/system/health")
    execution = next(c for c in health["components"] if c["name"] == "execution")
    assert (execution["ok"], execution["detail"]) == (False, "no execution service in this process")


@dataclass(frozen=True)
class Order:
    """An order as the OMS's LocalOrder shows it (the attributes of ``OrderView``)."""

    local_id: str
    status: str
    plan_id: str | None = "plan-1"
    strategy_id: str = "trend_v1"
    pair: str = "XBTUSD"
    side: str = "buy"
    order_type: str = "limit"
    kraken_order_id: str | None = "OABC-123"
    requested_volume: Decimal = Decimal("0.1")
    requested_price: Decimal | None = Decimal("40500.0")
    filled_volume: Decimal = Decimal("0.05")
    avg_fill_price: Decimal | None = Decimal("40450")
    created_at: datetime = START
    updated_at: datetime = START


@dataclass
class Oms:
    """The OMS's surface the facade uses, recording what it was asked (its real counterpart,
    ``execution.ExecutionService``, is not built yet)."""

    orders: list[Order] = field(default_factory=list)
    asked: list[str] = field(default_factory=list)

    def open_orders(self) -> list[Order]:
        return list(self.orders)

    def recent_executions(self, limit: int) -> list[Any]:
        return []

    def order(self, local_id: str) -> Order:
        return next(o for o in self.orders if o.local_id == local_id)

    def cancel_order(self, local_id: str) -> Order:
        self.asked.append(f"cancel {local_id}")
        return Order(local_id, "canceled")

    def cancel_all(self) -> int:
        self.asked.append("cancel_all")
        return len(self.orders)

    def flatten_all(self) -> Any:
        raise AssertionError("not reached in these tests")


@pytest.fixture
def oms() -> Oms:
    return Oms([Order("o-1", "open")])


@pytest.fixture
def with_oms(make_api: ApiFactory, oms: Oms) -> Api:
    return make_api(execution=oms)


def test_open_orders_when_oms_has_one_then_contract_shape_in_decimal_strings(
    with_oms: Api,
) -> None:
    [order] = with_oms.data("/api/execution/open_orders")
    assert order["requested_base_size"] == "0.1" and order["requested_price"] == "40500"
    assert (order["cumulative_base_filled"], order["status"]) == ("0.05", "open")
    assert order["created_at"] == "2026-03-02T12:00:00Z"


@pytest.mark.parametrize("confirm", ["", "cancel all", "CANCEL"])
def test_cancel_all_when_phrase_wrong_then_422_and_oms_not_asked(
    with_oms: Api, oms: Oms, confirm: str
) -> None:
    response = with_oms.send("post", "/api/execution/cancel_all", {"confirm": confirm})
    assert response.status_code == 422
    assert '"CANCEL ALL"' in response.json()["error"]
    assert oms.asked == []


def test_cancel_all_when_phrase_right_then_oms_cancels_and_audited(with_oms: Api, oms: Oms) -> None:
    response = with_oms.send("post", "/api/execution/cancel_all", {"confirm": "CANCEL ALL"})
    assert response.json() == {"data": {"canceled": 1}, "error": None}
    assert oms.asked == ["cancel_all"]
    assert with_oms.data("/api/audit")[0]["outcome"] == "ok"


def test_flatten_when_phrase_wrong_then_422_and_oms_not_asked(with_oms: Api, oms: Oms) -> None:
    response = with_oms.send("post", "/api/execution/flatten_all", {"confirm": "flatten"})
    assert response.status_code == 422
    assert '"FLATTEN"' in response.json()["error"]


def test_execution_mode_when_an_order_is_live_then_409_and_unchanged(with_oms: Api) -> None:
    response = with_oms.send("patch", "/api/system/execution_mode", {"mode": "dry_run"})
    assert response.status_code == 409
    assert "1 orders are still open" in response.json()["error"]
    assert with_oms.data("/api/system/health")["mode"] == "paper"
