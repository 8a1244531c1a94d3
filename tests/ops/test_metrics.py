"""Prometheus metrics: Kraken calls and errors by endpoint against the sandbox, rate-limit waits,
state gauges read from the app DB, and /metrics served on loopback."""

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine

from krakked_core.clock import ManualClock
from krakked_core.connection import KrakenRestClient
from krakked_core.connection.nonce import FileNonceSource
from krakked_core.connection.ratelimit import PrivateRateLimiter, PublicThrottle
from krakked_core.connection.retry import RetryPolicy
from krakked_core.control_state import ControlStateStore
from krakked_core.errors import VenueError
from krakked_core.loopback import HOST
from krakked_core.market_data.live_store import LiveStore
from krakked_core.metrics import Metrics
from krakked_core.metrics_state import MetricsServer, StateCollector, read_system_state
from krakked_core.sim import SandboxExchange, SimSettings

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


class _Sleeper:
    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock

    def __call__(self, seconds: float) -> None:
        self.clock.advance(seconds)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
def sandbox(clock: ManualClock) -> Iterator[SandboxExchange]:
    with SandboxExchange(SimSettings(seed=1, history_days=1, tier="none"), clock=clock) as sim:
        yield sim


def _samples(metrics: Metrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = metrics.render().decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_kraken_calls_errors_and_rate_limit_waits_are_counted_by_endpoint(
    sandbox: SandboxExchange, tmp_path: Path, clock: ManualClock
) -> None:
    metrics = Metrics(CollectorRegistry())
    sleep = _Sleeper(clock)
    client = KrakenRestClient(
        base_url=sandbox.rest_url,
        credentials=None,
        nonce_source=FileNonceSource(tmp_path / "nonce.state", clock),
        public_throttle=PublicThrottle(1.0, clock, sleep),  # one call a second: the 2nd waits
        private_limiter=PrivateRateLimiter(tmp_path / "rl.state", "intermediate", clock, sleep),
        retry=RetryPolicy(attempts=1),
        sleeper=sleep,
        metrics=metrics,
    )
    client.server_time()
    client.ticker(["XBTUSD"])
    with pytest.raises(VenueError):
        client.ticker(["NOSUCHPAIR"])

    got = _samples(metrics)
    assert got[("krakked_kraken_calls_total", (("endpoint", "Time"),))] == 1
    assert got[("krakked_kraken_calls_total", (("endpoint", "Ticker"),))] == 2
    errors = [k for k in got if k[0] == "krakked_kraken_errors_total"]
    assert len(errors) == 1 and ("endpoint", "Ticker") in errors[0][1]
    assert got[errors[0]] == 1
    assert got[("krakked_rate_limit_waits_total", (("scope", "public"),))] == 2
    assert got[("krakked_rate_limit_wait_seconds_total", (("scope", "public"),))] > 0


def test_state_gauges_follow_the_db_and_are_served_on_loopback(
    engine: Engine, clock: ManualClock
) -> None:
    live = LiveStore(engine, clock, 60)
    metrics = Metrics(CollectorRegistry())
    metrics.registry.register(StateCollector(lambda: read_system_state(engine, clock, live)))
    assert _samples(metrics)[("krakked_kill_switch_active", ())] == 0

    ControlStateStore(engine, clock).set_kill_switch(True, reason="test", source="cli")
    metrics.process_restarts.labels(process="sidecar").inc()

    with MetricsServer(metrics, HOST, 0) as server:
        reply = requests.get(f"http://{HOST}:{server.port}/metrics", timeout=5)
    assert reply.status_code == 200
    text = reply.text
    assert "krakked_kill_switch_active 1.0" in text
    assert "krakked_market_data_stale_pairs 0.0" in text
    assert 'krakked_process_restarts_total{process="sidecar"} 1.0' in text
    assert "krakked_equity_usd" not in text  # no snapshot yet: not made up


def test_two_metrics_objects_never_share_a_registry() -> None:
    first, second = Metrics(), Metrics()
    first.order_error("rejected")
    assert 'kind="rejected"' not in second.render().decode()
    assert 'krakked_order_errors_total{kind="rejected"} 1.0' in first.render().decode()
