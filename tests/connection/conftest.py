"""Fixtures for the REST client: a loopback Kraken, test credentials, a client on a manual clock."""

import base64
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from krakked_core.clock import ManualClock
from krakked_core.connection import (
    FileNonceSource,
    KrakenRestClient,
    PrivateRateLimiter,
    PublicThrottle,
    RetryPolicy,
)
from krakked_core.secrets import Credentials
from tests.connection.loopback import LoopbackKraken, loopback_kraken

TEST_KEY = "tEsTkEy-9b1c7e2f4a6d8c0e1f3a5b7d9c1e3f5a7b9d1c3e5f7a9b1c3d5e7f9a"
TEST_SECRET = base64.b64encode(bytes(range(7, 71))).decode()


class SleepRecorder:
    """Stands in for time.sleep: records each wait and moves the manual clock instead."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.sleeps: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.clock.advance(seconds)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 1, 5, 12, 0, tzinfo=UTC))


@pytest.fixture
def sleeper(clock: ManualClock) -> SleepRecorder:
    return SleepRecorder(clock)


@pytest.fixture
def credentials() -> Credentials:
    return Credentials.of(TEST_KEY, TEST_SECRET, source="env")


@pytest.fixture
def kraken() -> Iterator[LoopbackKraken]:
    with loopback_kraken() as server:
        yield server


def make_client(
    url: str,
    tmp_path: Path,
    clock: ManualClock,
    sleeper: SleepRecorder,
    credentials: Credentials | None,
    *,
    timeout: float = 5.0,
) -> KrakenRestClient:
    return KrakenRestClient(
        base_url=url,
        credentials=credentials,
        nonce_source=FileNonceSource(tmp_path / "nonce.state", clock),
        public_throttle=PublicThrottle(1.0, clock, sleeper),
        private_limiter=PrivateRateLimiter(
            tmp_path / "ratelimit.state", "intermediate", clock, sleeper
        ),
        timeout_seconds=timeout,
        retry=RetryPolicy(attempts=3, base_delay_seconds=1.0, rate_limit_delay_seconds=5.0),
        sleeper=sleeper,
    )


@pytest.fixture
def client(
    kraken: LoopbackKraken,
    tmp_path: Path,
    clock: ManualClock,
    sleeper: SleepRecorder,
    credentials: Credentials,
) -> KrakenRestClient:
    return make_client(kraken.url, tmp_path, clock, sleeper, credentials)
