"""Exchange-core fixtures: a manual clock, exchanges on it, a peek at the future tape."""

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from krakked_core.clock import ManualClock
from krakked_core.sim.exchange import Exchange
from krakked_core.sim.prices import ns_of
from krakked_core.sim.settings import SimSettings

START = datetime(2026, 3, 1, 12, 0, 30, tzinfo=UTC)
SAMPLES = Path(__file__).resolve().parents[4] / "shared" / "kraken" / "samples"
if not SAMPLES.exists():
    from tests.conftest import KRAKEN_SAMPLES as SAMPLES


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


MakeExchange = Callable[..., Exchange]


@pytest.fixture
def make_exchange(clock: ManualClock) -> MakeExchange:
    def make(**overrides: Any) -> Exchange:
        return Exchange(SimSettings(**overrides), clock)

    return make


@pytest.fixture
def exchange(make_exchange: MakeExchange) -> Exchange:
    return make_exchange(seed=7, history_days=3)


def future_trades(
    exchange: Exchange, pair: str, minutes: float
) -> list[tuple[Decimal, Decimal, float]]:
    """The public trades of the next ``minutes`` (a twin exchange on a later clock: prices are a
    pure function of seed, pair and minute)."""
    now = exchange.clock.now()
    twin = Exchange(
        exchange.settings.model_copy(update={"state_file": None}),
        ManualClock(now + timedelta(minutes=minutes)),
    )
    since = str(ns_of(now))
    result = twin.public("Trades", {"pair": pair, "since": since})
    key = next(k for k in result if k != "last")
    return [(Decimal(p), Decimal(v), t) for p, v, t, *_ in result[key]]


def load_sample(name: str) -> Any:
    return json.loads((SAMPLES / name).read_text())
