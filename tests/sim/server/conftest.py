"""Sandboxes for protocol tests: a shared healthy one, and fresh ones for faults and limits."""

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest

from krakked_core.clock import Clock, ManualClock, PinnedClock
from krakked_core.sim import FaultProfile, SandboxExchange, SimSettings
from tests.sim.server.raw_kraken import RawKraken

START = datetime(2026, 3, 2, 12, 0, 30, tzinfo=UTC)

MakeSandbox = Callable[..., SandboxExchange]


@pytest.fixture(scope="module")
def shared_sim() -> Iterator[SandboxExchange]:
    """One healthy sandbox for the tests that only read (module-wide: it is not cheap)."""
    with SandboxExchange(SimSettings(seed=1, history_days=2, tier="none"), now=START) as sim:
        yield sim


@pytest.fixture
def kraken(shared_sim: SandboxExchange) -> RawKraken:
    return RawKraken(shared_sim.rest_url, shared_sim.api_key, shared_sim.api_secret)


@pytest.fixture
def make_sandbox() -> Iterator[MakeSandbox]:
    """Start sandboxes for one test (stopped afterwards): tier, faults, clock as given (else
    pinned to START, so what they serve never depends on the date)."""
    started: list[SandboxExchange] = []

    def make(
        *,
        tier: str = "none",
        faults: FaultProfile | None = None,
        clock: Clock | None = None,
        seed: int = 1,
    ) -> SandboxExchange:
        settings = SimSettings(seed=seed, history_days=2, tier=tier)
        sim = SandboxExchange(settings, clock=clock or PinnedClock(START), faults=faults).start()
        started.append(sim)
        return sim

    yield make
    for sim in started:
        sim.stop()


@pytest.fixture
def manual_clock() -> ManualClock:
    return ManualClock(START)


def client_for(sim: SandboxExchange, timeout: float = 10.0) -> RawKraken:
    return RawKraken(sim.rest_url, sim.api_key, sim.api_secret, timeout=timeout)
