from pathlib import Path

import pytest

from krakked_core.clock import ManualClock
from krakked_core.connection.ratelimit import PrivateRateLimiter, PublicThrottle, private_call_cost
from tests.connection.conftest import SleepRecorder


def _limiter(
    tmp_path: Path, clock: ManualClock, sleeper: SleepRecorder, tier: str = "intermediate"
) -> PrivateRateLimiter:
    return PrivateRateLimiter(tmp_path / "ratelimit.state", tier, clock, sleeper)


@pytest.mark.parametrize(
    ("method", "cost"),
    [
        ("Balance", 1),
        ("OpenOrders", 1),
        ("Ledgers", 2),
        ("QueryLedgers", 2),
        ("TradesHistory", 2),
        ("QueryTrades", 2),
        ("AddOrder", 0),
        ("CancelOrder", 0),
    ],
)
def test_call_costs_follow_krakens_counter_model(method: str, cost: int) -> None:
    assert private_call_cost(method) == cost


def test_intermediate_tier_twenty_calls_then_twenty_first_waits_two_seconds(
    tmp_path: Path, clock: ManualClock, sleeper: SleepRecorder
) -> None:
    limiter = _limiter(tmp_path, clock, sleeper)
    for _ in range(20):
        limiter.acquire("Balance")
    assert sleeper.sleeps == []

    waited = limiter.acquire("Balance")

    # one over the max of 20, draining at 0.5/s
    assert waited == pytest.approx(2.0)
    assert sleeper.sleeps == [pytest.approx(2.0)]
    assert limiter.counter() == pytest.approx(20.0)


def test_history_calls_cost_two_then_full_after_ten(
    tmp_path: Path, clock: ManualClock, sleeper: SleepRecorder
) -> None:
    limiter = _limiter(tmp_path, clock, sleeper)
    for _ in range(10):
        limiter.acquire("TradesHistory")

    waited = limiter.acquire("Ledgers")

    assert waited == pytest.approx(4.0)


def test_counter_decays_with_time(
    tmp_path: Path, clock: ManualClock, sleeper: SleepRecorder
) -> None:
    limiter = _limiter(tmp_path, clock, sleeper)
    for _ in range(20):
        limiter.acquire("Balance")

    clock.advance(10)

    assert limiter.counter() == pytest.approx(15.0)
    clock.advance(100)
    assert limiter.counter() == 0.0


def test_starter_tier_then_max_fifteen_and_slower_decay(
    tmp_path: Path, clock: ManualClock, sleeper: SleepRecorder
) -> None:
    limiter = _limiter(tmp_path, clock, sleeper, tier="starter")
    for _ in range(15):
        limiter.acquire("Balance")

    waited = limiter.acquire("Balance")

    assert waited == pytest.approx(1 / 0.33)


def test_pro_tier_then_decays_one_per_second(
    tmp_path: Path, clock: ManualClock, sleeper: SleepRecorder
) -> None:
    limiter = _limiter(tmp_path, clock, sleeper, tier="pro")
    for _ in range(20):
        limiter.acquire("Balance")

    assert limiter.acquire("Ledgers") == pytest.approx(2.0)


def test_trading_calls_never_wait_even_when_counter_full(
    tmp_path: Path, clock: ManualClock, sleeper: SleepRecorder
) -> None:
    limiter = _limiter(tmp_path, clock, sleeper)
    for _ in range(20):
        limiter.acquire("Balance")

    assert limiter.acquire("AddOrder") == 0.0
    assert limiter.acquire("CancelOrder") == 0.0
    assert sleeper.sleeps == []


def test_two_limiters_on_one_state_file_then_share_the_counter(
    tmp_path: Path, clock: ManualClock, sleeper: SleepRecorder
) -> None:
    first = _limiter(tmp_path, clock, sleeper)
    second = _limiter(tmp_path, clock, sleeper)
    for _ in range(20):
        first.acquire("Balance")

    assert second.acquire("Balance") == pytest.approx(2.0)


def test_kraken_said_rate_limited_then_counter_assumed_full(
    tmp_path: Path, clock: ManualClock, sleeper: SleepRecorder
) -> None:
    limiter = _limiter(tmp_path, clock, sleeper)

    limiter.note_rate_limited()

    assert limiter.counter() == pytest.approx(20.0)
    assert limiter.acquire("Balance") == pytest.approx(2.0)


def test_damaged_state_file_then_assumed_full(
    tmp_path: Path, clock: ManualClock, sleeper: SleepRecorder
) -> None:
    (tmp_path / "ratelimit.state").write_text("{not json")
    limiter = _limiter(tmp_path, clock, sleeper)

    assert limiter.acquire("Balance") == pytest.approx(2.0)


def test_unknown_tier_then_refused(
    tmp_path: Path, clock: ManualClock, sleeper: SleepRecorder
) -> None:
    with pytest.raises(ValueError, match="tier"):
        _limiter(tmp_path, clock, sleeper, tier="platinum")


def test_public_throttle_one_per_second(clock: ManualClock, sleeper: SleepRecorder) -> None:
    throttle = PublicThrottle(1.0, clock, sleeper)

    first = throttle.acquire()
    second = throttle.acquire()
    clock.advance(0.25)
    third = throttle.acquire()

    assert (first, second) == (0.0, pytest.approx(1.0))
    assert third == pytest.approx(0.75)


def test_public_throttle_after_idle_then_no_wait(
    clock: ManualClock, sleeper: SleepRecorder
) -> None:
    throttle = PublicThrottle(2.0, clock, sleeper)
    throttle.acquire()
    clock.advance(5)

    assert throttle.acquire() == 0.0
    assert throttle.acquire() == pytest.approx(0.5)
