"""An API on the real services: the sandbox exchange on loopback, a migrated app DB (SQLite and
PostgreSQL), the control plane built by its own composition root, served by uvicorn.

The sandbox account holds USD and some XBT bought by hand, synced into the books, so the
portfolio routes have real numbers to show.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests
from pydantic import SecretStr
from sqlalchemy import Engine

from krakked_core.api import create_app
from krakked_core.clock import ManualClock
from krakked_core.config import AppConfig, UiConfig
from krakked_core.config_loading import parse_config
from krakked_core.control import ControlPlane
from krakked_core.control.compose import build_control_plane
from krakked_core.control.execution_port import ExecutionPort
from krakked_core.paths import AppPaths
from krakked_core.portfolio.compose import build_portfolio_service
from krakked_core.secrets import Credentials
from krakked_core.sim import SandboxExchange, SimSettings
from tests.api.served import served

START = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
TOKEN = "test-token-0123456789"


def sandbox_config(sim: SandboxExchange, db: Engine, root: Path) -> AppConfig:
    return parse_config(
        {
            "exchange": {"rest_url": sim.rest_url, "public_rate_per_second": 100, "tier": "pro"},
            "db": {"url": db.url.render_as_string(hide_password=False)},
            "market_data": {"ohlc_store": {"root_dir": str(root / "ohlc")}},
            "strategies": {
                "enabled": ["trend_v1"],
                "configs": {
                    "trend_v1": {"type": "trend_following", "timeframes": ["1h"], "userref": 7},
                    "mean_rev_v1": {
                        "type": "mean_reversion",
                        "timeframes": ["15m"],
                        "enabled": False,
                    },
                },
            },
        },
        origin="test",
    )


@dataclass
class Api:
    """A running API and what it stands on."""

    url: str
    plane: ControlPlane
    sim: SandboxExchange
    db: Engine
    headers: dict[str, str]

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return requests.get(f"{self.url}{path}", headers=self.headers, timeout=10, **kwargs)

    def send(self, method: str, path: str, body: Any = None, **kw: Any) -> requests.Response:
        return requests.request(
            method, f"{self.url}{path}", json=body, headers=self.headers, timeout=10, **kw
        )

    def data(self, path: str, **kwargs: Any) -> Any:
        response = self.get(path, **kwargs)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["error"] is None
        return body["data"]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def sim(clock: ManualClock) -> Iterator[SandboxExchange]:
    with SandboxExchange(SimSettings(seed=1, history_days=1, tier="none"), clock=clock) as ex:
        yield ex


@pytest.fixture
def credentials(sim: SandboxExchange) -> Credentials:
    return Credentials(api_key=SecretStr(sim.api_key), api_secret=SecretStr(sim.api_secret))


@pytest.fixture
def config(sim: SandboxExchange, engine: Engine, tmp_path: Path) -> AppConfig:
    return sandbox_config(sim, engine, tmp_path)


@pytest.fixture
def traded(
    sim: SandboxExchange,
    clock: ManualClock,
    config: AppConfig,
    app_paths: AppPaths,
    engine: Engine,
    credentials: Credentials,
) -> None:
    """USD deposited, XBT bought by hand, the books synced from the sandbox."""
    ex = sim.exchange
    for action in (
        lambda: ex.deposit("USD", Decimal(5000)),
        lambda: ex.place_manual_order(
            pair="XBTUSD", side="buy", ordertype="market", volume=Decimal("0.02")
        ),
        ex.step,
    ):
        clock.advance(1)
        action()
    portfolio = build_portfolio_service(config, app_paths, engine, credentials, clock=clock)
    portfolio.sync()


ApiFactory = Callable[..., Api]


@pytest.fixture
def make_api(
    sim: SandboxExchange,
    clock: ManualClock,
    config: AppConfig,
    app_paths: AppPaths,
    engine: Engine,
    credentials: Credentials,
    traded: None,
) -> Iterator[ApiFactory]:
    """Start an API with the given ``ui`` settings (several may run; all stop at the end)."""
    stack: list[Any] = []

    def start(
        execution: ExecutionPort | None = None,
        live_mode_enabled: bool = False,
        key: Credentials | None = credentials,
        metrics: Any = None,
        **ui: Any,
    ) -> Api:
        ui_config = UiConfig.model_validate(ui)
        mode = config.execution.model_copy(update={"live_mode_enabled": live_mode_enabled})
        served_config = config.model_copy(update={"ui": ui_config, "execution": mode})
        plane = build_control_plane(
            served_config, app_paths, engine, key, clock=clock, execution=execution
        )
        context = served(create_app(plane, ui_config, metrics=metrics))
        url = context.__enter__()
        stack.append(context)
        headers = {"Authorization": f"Bearer {TOKEN}"} if ui_config.auth.enabled else {}
        return Api(url, plane, sim, engine, headers)

    yield start
    for context in reversed(stack):
        context.__exit__(None, None, None)


@pytest.fixture
def api(make_api: ApiFactory) -> Api:
    return make_api()
