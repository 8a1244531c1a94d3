"""A clear message, not a traceback, when the API is down or the token is wrong."""

import pytest

from krakked_core.loopback import free_port
from streamlit_app.client import ApiAuthError, ApiClient, ApiDownError, RouteMissingError
from streamlit_app.components.context import ENV_API_URL, ENV_TOKEN
from tests.api.conftest import Api, ApiFactory
from tests.panel.conftest import open_page


@pytest.mark.parametrize(
    "page", [None, "risk", "strategies", "orders", "decisions", "trades", "settings"]
)
def test_page_when_api_down_then_says_it_does_not_answer(
    monkeypatch: pytest.MonkeyPatch, page: str | None
) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv(ENV_API_URL, url)
    at = open_page(page)
    errors = [e.value for e in at.error]
    assert errors
    assert all(f"the API at {url} does not answer" in e for e in errors), errors


def test_page_when_token_wrong_then_says_so_without_the_token(
    panel: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_TOKEN, "wrong-token-do-not-print")
    at = open_page()
    errors = [e.value for e in at.error]
    assert errors
    assert all("refused the panel's token" in e for e in errors), errors
    assert not any("wrong-token" in e for e in errors)


def test_client_when_down_wrong_token_or_route_missing_then_typed_errors(panel: Api) -> None:
    with pytest.raises(ApiDownError):
        ApiClient(f"http://127.0.0.1:{free_port()}", "t").summary()
    with pytest.raises(ApiAuthError):
        ApiClient(panel.url, "wrong").summary()
    client = ApiClient(panel.url, "test-token-0123456789")
    assert client.summary().equity_usd == panel.data("/api/portfolio/summary")["equity_usd"]
    with pytest.raises(RouteMissingError, match=r"does not offer GET /api/nowhere"):
        client._call("GET", "/nowhere", dict)


def test_kill_switch_when_api_read_only_then_refusal_shown_and_switch_stays_off(
    make_api: ApiFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = make_api(read_only=True)
    monkeypatch.setenv(ENV_API_URL, api.url)
    at = open_page()
    at.sidebar.button(key="kill_switch_on").click().run()
    assert any("refused: read-only" in e.value for e in at.sidebar.error)
    assert api.data("/api/risk/kill_switch")["active"] is False
