"""The Kraken WebSocket session on its own: reconnect pacing."""

import random

import pytest

from krakked_core.connection.ws_session import backoff_delay


@pytest.mark.parametrize("attempt", [0, 1, 3, 10, 100])
def test_backoff_grows_exponentially_with_jitter_and_a_cap(attempt: int) -> None:
    rng = random.Random(attempt)
    delays = [backoff_delay(attempt, 0.5, 8.0, rng) for _ in range(50)]

    ceiling = min(8.0, 0.5 * 2**attempt)
    assert all(ceiling / 2 <= d <= ceiling for d in delays)
    assert len(set(delays)) > 1
