"""Auth and read-only, checked for every route the OpenAPI schema lists (a route added later
is checked too), with the health check the one route open without a token."""

from typing import Any

import pytest
import requests
from starlette.responses import PlainTextResponse

from tests.api.conftest import TOKEN, Api, ApiFactory

MUTATING = {"post", "put", "patch", "delete"}
HEALTH = "/api/system/health"


def _operations(api: Api) -> list[tuple[str, str]]:
    schema = api.get("/api/openapi.json").json()
    return [
        (method, path.replace("{strategy_id}", "trend_v1").replace("{local_id}", "x"))
        for path, item in sorted(schema["paths"].items())
        for method in sorted(item)
    ]


def _mutating(api: Api) -> list[tuple[str, str]]:
    operations = [(m, p) for m, p in _operations(api) if m in MUTATING]
    assert len(operations) >= 6  # snapshot, risk config, kill switch, strategies ×2, mode …
    return operations


@pytest.fixture
def authed(make_api: ApiFactory) -> Api:
    return make_api(auth={"enabled": True, "token": TOKEN})


def _call(api: Api, method: str, path: str, headers: dict[str, str]) -> requests.Response:
    return requests.request(method, f"{api.url}{path}", json={}, headers=headers, timeout=10)


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}, {"X-Token": TOKEN}],
)
def test_auth_when_token_missing_or_wrong_then_every_route_but_health_401(
    authed: Api, headers: dict[str, str]
) -> None:
    for method, path in _operations(authed):
        response = _call(authed, method, path, headers)
        if path == HEALTH:
            assert response.status_code == 200
            continue
        assert response.status_code == 401, (method, path)
        assert response.json() == {
            "data": None,
            "error": "unauthorized: send Authorization: Bearer <token>",
        }
    assert _call(authed, "get", "/api/openapi.json", headers).status_code == 401


def test_auth_when_token_right_then_reads_answer(authed: Api) -> None:
    for method, path in _operations(authed):
        if method == "get":
            assert authed.get(path).status_code in (200, 404, 503), path


def test_read_only_when_on_then_every_mutating_route_403_and_nothing_changes(
    make_api: ApiFactory,
) -> None:
    api = make_api(read_only=True)
    for method, path in _mutating(api):
        response = api.send(method, path, {"active": True, "confirm": "FLATTEN"})
        assert response.status_code == 403, (method, path)
        assert "read-only" in response.json()["error"]
    assert api.data("/api/risk/kill_switch")["active"] is False
    assert api.data("/api/audit") == []


def test_read_only_when_on_then_reads_still_answer(make_api: ApiFactory) -> None:
    api = make_api(read_only=True)
    for method, path in _operations(api):
        if method == "get":
            assert api.get(path).status_code in (200, 404, 503), path


def test_read_only_with_auth_when_no_token_then_401_before_403(make_api: ApiFactory) -> None:
    api = make_api(read_only=True, auth={"enabled": True, "token": TOKEN})
    method, path = _mutating(api)[0]
    assert _call(api, method, path, {}).status_code == 401
    assert _call(api, method, path, api.headers).status_code == 403


def test_errors_when_any_route_fails_then_documented_in_openapi(api: Api) -> None:
    schema: dict[str, Any] = api.get("/api/openapi.json").json()
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            assert {"401", "403", "422", "503"} <= set(operation["responses"]), (method, path)


def test_metrics_when_an_exposition_app_given_then_mounted_behind_the_token(
    make_api: ApiFactory,
) -> None:
    exposition = PlainTextResponse("krakked_up 1\n")  # any ASGI app: Prometheus' in production
    api = make_api(metrics=exposition, auth={"enabled": True, "token": TOKEN})
    assert requests.get(f"{api.url}/metrics", timeout=10).status_code == 401
    response = api.get("/metrics")
    assert (response.status_code, response.text) == (200, "krakked_up 1\n")
