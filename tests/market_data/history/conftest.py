"""Fixtures of the historical market-data tests: sample payloads, a store, a fixed clock."""

import copy
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from krakked_core.clock import ManualClock
from krakked_core.config import AppConfig
from krakked_core.connection import build_rest_client
from krakked_core.connection.market_gateway import KrakenMarketGateway
from krakked_core.market_data.api import MarketDataAPI
from krakked_core.market_data.live_store import LiveStore
from krakked_core.market_data.ohlc_store import OhlcStore
from krakked_core.model.market import Bar
from krakked_core.paths import AppPaths
from krakked_core.sim import SandboxExchange, SimSettings
from tests.conftest import KRAKEN_SAMPLES
from tests.fakes.config import write_config

# 2024-03-01 00:00:00 UTC: a month boundary, so stores split files in tests.
MARCH_1 = int(datetime(2024, 3, 1, tzinfo=UTC).timestamp())


def sample_result(name: str) -> Any:
    return json.loads((KRAKEN_SAMPLES / name).read_text())["result"]


def asset_pairs_payload() -> dict[str, Any]:
    """A realistic AssetPairs result: the real XBTUSDT entry, reshaped into every filter case."""
    base = sample_result("http_asset_pairs.json")["XBTUSDT"]

    def pair(altname: str, ws: str | None, b: str, q: str, **extra: Any) -> dict[str, Any]:
        entry = copy.deepcopy(base)
        entry.update(altname=altname, base=b, quote=q, **extra)
        if ws is None:
            entry.pop("wsname", None)
        else:
            entry["wsname"] = ws
        return entry

    return {
        "XXBTZUSD": pair("XBTUSD", "XBT/USD", "XXBT", "ZUSD"),
        "XETHZUSD": pair("ETHUSD", "ETH/USD", "XETH", "ZUSD", leverage_buy=[], leverage_sell=[]),
        "XXDGZUSD": pair("XDGUSD", "XDG/USD", "XXDG", "ZUSD"),
        "SOLUSD": pair("SOLUSD", "SOL/USD", "SOL", "ZUSD"),
        "XXBTZEUR": pair("XBTEUR", "XBT/EUR", "XXBT", "ZEUR"),
        "XBTUSDT": copy.deepcopy(base),
        "DOTUSD": pair("DOTUSD", "DOT/USD", "DOT", "ZUSD", status="cancel_only"),
        "XXBTZUSD.d": pair("XBTUSD.d", None, "XXBT", "ZUSD"),
        "AAPLxUSD": pair("AAPLxUSD", "AAPLx/USD", "AAPLx", "ZUSD", aclass_base="tokenized_asset"),
        "ADAUSD": pair("ADAUSD", "ADA/USD", "ADA", "ZUSD"),
    }


def ticker_payload(volumes_usd: dict[str, float]) -> dict[str, Any]:
    """A Ticker result (keyed by raw name) whose v[1] × p[1] equals the given USD volumes."""
    template = sample_result("http_ticker.json")["XBTUSDT"]
    result = {}
    for raw_name, usd in volumes_usd.items():
        entry = copy.deepcopy(template)
        entry["p"] = ["2.00000", "2.00000"]
        entry["v"] = ["1.0", f"{usd / 2:.8f}"]
        result[raw_name] = entry
    return result


def make_bar(time: int, close: float = 100.0, volume: float = 1.0) -> Bar:
    return Bar(
        time=time,
        open=close - 1,
        high=close + 2,
        low=close - 2,
        close=close,
        vwap=close - 0.5,
        volume=volume,
        count=3,
    )


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2024, 3, 2, 12, 0, 30, tzinfo=UTC))


@pytest.fixture
def store(tmp_path: Path, clock: ManualClock) -> OhlcStore:
    return OhlcStore(tmp_path / "ohlc", clock)


# --- the sandbox exchange -------------------------------------------------------------------


# What the sandbox serves is a function of its clock: pinned, the tests see one market on any date.
SANDBOX_START = datetime(2026, 3, 2, 12, 0, 30, tzinfo=UTC)


@pytest.fixture(scope="session")
def sandbox() -> Iterator[SandboxExchange]:
    """One sandbox exchange for the session: public market data only, so sharing is safe."""
    settings = SimSettings(seed=1, history_days=2, tier="none")
    with SandboxExchange(settings, now=SANDBOX_START) as sim:
        yield sim


@pytest.fixture
def now(sandbox: SandboxExchange) -> Callable[[], int]:
    """The sandbox's (and the API's) epoch seconds now."""
    return lambda: int(sandbox.clock.now().timestamp())


@pytest.fixture
def sandbox_config(app_paths: AppPaths, sandbox: SandboxExchange) -> AppConfig:
    return write_config(app_paths, sandbox.rest_url)


@pytest.fixture
def live_clock(sandbox: SandboxExchange) -> ManualClock:
    """The live store's clock: starts at the sandbox's now, moves when a test says so."""
    return ManualClock(sandbox.clock.now())


@pytest.fixture
def live_store(engine: Engine, live_clock: ManualClock) -> LiveStore:
    return LiveStore(engine, live_clock, stale_tolerance_seconds=60)


@pytest.fixture
def api(
    engine: Engine,
    app_paths: AppPaths,
    sandbox_config: AppConfig,
    live_store: LiveStore,
    sandbox: SandboxExchange,
) -> MarketDataAPI:
    """The API against the sandbox (REST), the migrated app DB and a temp OHLC store, on the
    sandbox's clock."""
    clock = sandbox.clock
    return MarketDataAPI(
        engine=engine,
        market=KrakenMarketGateway(build_rest_client(sandbox_config, app_paths, None), clock),
        store=OhlcStore(sandbox_config.ohlc_root(app_paths), clock),
        live=live_store,
        config=sandbox_config,
        clock=clock,
        show_progress=False,
    )
