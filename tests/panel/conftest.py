"""The panel against a live API on loopback: the API tests' sandbox-backed control plane
(``tests/api/conftest.py``) served by uvicorn in a thread, with bearer auth on.

The panel does not care which database the API stands on (the API's own tests run both), so
these run on SQLite only.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from streamlit_app.components.context import ENV_API_URL, ENV_TOKEN
from tests.api.conftest import (  # noqa: F401 - fixtures shared with the API tests
    TOKEN,
    Api,
    ApiFactory,
    clock,
    config,
    credentials,
    make_api,
    sim,
    traded,
)

APP = Path(__file__).resolve().parents[2] / "streamlit_app" / "app.py"
TIMEOUT = 60


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'app.db'}"


@pytest.fixture
def api(make_api: ApiFactory) -> Api:  # noqa: F811 - this one has auth on
    return make_api(auth={"enabled": True, "token": TOKEN})


@pytest.fixture
def panel_env(api: Api, monkeypatch: pytest.MonkeyPatch) -> Api:
    """The panel's environment aimed at ``api`` (as `krakked panel` sets it)."""
    monkeypatch.setenv(ENV_API_URL, api.url)
    monkeypatch.setenv(ENV_TOKEN, TOKEN)
    return api


def open_page(page: str | None = None) -> AppTest:
    """The panel's main script run once, then (if given) switched to ``app_pages/<page>.py``."""
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.run()
    if page is not None:
        at.switch_page(f"app_pages/{page}.py")
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.fixture
def panel(panel_env: Api) -> Iterator[Api]:
    yield panel_env
