"""Live-data fixtures: a running sandbox exchange and config pointing at it (short timeouts)."""

import asyncio
import random
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest

from krakked_core.clock import MonotonicClock
from krakked_core.config import AppConfig, WsConfig
from krakked_core.connection import KrakenRestClient, build_rest_client
from krakked_core.connection.parsers.market import parse_asset_pairs
from krakked_core.connection.ws_session import KrakenWsSession
from krakked_core.market_data.live_fallback import LiveSink, RestFallback
from krakked_core.market_data.live_feed import LiveFeed
from krakked_core.model.pairs import PairMetadata
from krakked_core.paths import AppPaths
from krakked_core.sim import FaultProfile, SandboxExchange, SimSettings
from tests.fakes.sidecar import FAST_WS


def kraken_live_feed(
    *,
    url: str,
    pairs: Sequence[PairMetadata],
    timeframes: Sequence[str],
    config: WsConfig,
    clock: MonotonicClock,
    sink: LiveSink,
    fallback: RestFallback | None = None,
    rng: random.Random | None = None,
) -> LiveFeed:
    """A live feed on a Kraken WebSocket session, as the sidecar builds it."""
    session = KrakenWsSession(url=url, config=config, clock=clock, rng=rng)
    return LiveFeed(
        session=session,
        pairs=pairs,
        timeframes=timeframes,  # type: ignore[arg-type]
        config=config,
        clock=clock,
        sink=sink,
        fallback=fallback,
    )


@pytest.fixture(scope="module")
def sim() -> Iterator[Any]:
    with SandboxExchange(SimSettings(seed=1, history_days=1, tier="none")) as exchange:
        yield exchange


@pytest.fixture(autouse=True)
def _healthy_sim(sim: Any) -> Iterator[None]:
    sim.set_faults(FaultProfile())
    yield
    sim.set_faults(FaultProfile())


@pytest.fixture
def live_config(sim: Any) -> AppConfig:
    return AppConfig.model_validate(
        {
            "exchange": {
                "rest_url": sim.rest_url,
                "ws_url": sim.ws_url,
                "public_rate_per_second": 50,
            },
            "market_data": {"timeframes": ["1m", "5m"], "ws": FAST_WS},
        }
    )


@pytest.fixture
def rest(live_config: AppConfig, app_paths: AppPaths) -> KrakenRestClient:
    return build_rest_client(live_config, app_paths, None)


@pytest.fixture
def sim_pairs(rest: KrakenRestClient) -> dict[str, PairMetadata]:
    return {
        entry.metadata.canonical: entry.metadata for entry in parse_asset_pairs(rest.asset_pairs())
    }


def wait_until(condition: Callable[[], bool], timeout: float = 10.0, what: str = "") -> None:
    """Poll ``condition`` (thread or loop-free code) until true, or fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what or condition}")
        time.sleep(0.05)


async def async_wait_until(
    condition: Callable[[], bool], timeout: float = 10.0, what: str = ""
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what or condition}")
        await asyncio.sleep(0.05)
