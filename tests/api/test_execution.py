"""Orders, cancels and flatten without an OMS in the API process: a clear 503, never invented
orders, and every refused action audited; a mode change needs nothing of the OMS."""

import pytest

from tests.api.conftest import Api

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
