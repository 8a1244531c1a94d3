from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from krakked_core.clock import ManualClock
from krakked_core.config import AppConfig
from krakked_core.connection import build_rest_client
from krakked_core.connection.compose import public_rate_limit_file
from krakked_core.connection.ratelimit import PrivateRateLimiter, PublicThrottle, private_call_cost
from krakked_core.paths import AppPaths
from tests.connection.conftest import SleepRecorder
from tests.connection.loopback import loopback_kraken, ok


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


@pytest.mark.parametrize(
    "text",
    ["{not json", '{"counter": NaN, "updated": 0}', '{"counter": 1, "updated": NaN}'],
)
def test_damaged_state_file_then_assumed_full(
    text: str, tmp_path: Path, clock: ManualClock, sleeper: SleepRecorder
) -> None:
    (tmp_path / "ratelimit.state").write_text(text)
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


def _shared_throttle(
    tmp_path: Path, clock: ManualClock, sleeper: SleepRecorder, rate: float = 1.0
) -> PublicThrottle:
    return PublicThrottle(rate, clock, sleeper, state_file=tmp_path / "public_ratelimit.state")


def test_public_throttles_sharing_a_state_file_space_calls_between_them(
    tmp_path: Path, clock: ManualClock, sleeper: SleepRecorder
) -> None:
    # Two processes (here two throttles) on one state file draw on one per-IP budget.
    sidecar = _shared_throttle(tmp_path, clock, sleeper)
    dagster_run = _shared_throttle(tmp_path, clock, sleeper)

    assert sidecar.acquire() == 0.0
    assert dagster_run.acquire() == pytest.approx(1.0)
    clock.advance(0.25)
    assert sidecar.acquire() == pytest.approx(0.75)
    clock.advance(5)
    assert dagster_run.acquire() == 0.0


def test_public_throttle_reserves_slots_so_waiters_queue_in_order(
    tmp_path: Path, clock: ManualClock
) -> None:
    # Waiting happens outside the lock: each caller takes the next slot, then sleeps for it.
    waits: list[float] = []
    first = PublicThrottle(2.0, clock, waits.append, state_file=tmp_path / "p.state")
    second = PublicThrottle(2.0, clock, waits.append, state_file=tmp_path / "p.state")

    first.acquire()
    second.acquire()
    first.acquire()  # the clock did not move: a third slot, one interval after the second

    assert waits == [pytest.approx(0.5), pytest.approx(1.0)]


def test_public_throttle_state_far_in_the_future_or_damaged_then_recovers(
    tmp_path: Path, clock: ManualClock, sleeper: SleepRecorder
) -> None:
    state = tmp_path / "public_ratelimit.state"
    state.write_text('{"next": %f}' % (clock.now().timestamp() + 86_400))  # clock went back
    throttle = _shared_throttle(tmp_path, clock, sleeper)

    assert throttle.acquire() == pytest.approx(1.0)  # one interval of caution, not a day
    state.write_text("{not json")
    clock.advance(10)
    assert throttle.acquire() == pytest.approx(1.0)


def test_rest_clients_built_for_one_config_dir_share_the_public_spacing(
    tmp_path: Path, clock: ManualClock, sleeper: SleepRecorder
) -> None:
    paths = AppPaths(tmp_path / "config", tmp_path / "data")
    with loopback_kraken() as kraken:
        config = AppConfig.model_validate({"exchange": {"rest_url": kraken.url}})
        kraken.script("Time", ok({"unixtime": 1, "rfc1123": "x"}))
        first = build_rest_client(config, paths, None, clock=clock, sleeper=sleeper)
        second = build_rest_client(config, paths, None, clock=clock, sleeper=sleeper)

        first.server_time()
        second.server_time()

    assert sleeper.sleeps == [pytest.approx(1.0)]
    assert public_rate_limit_file(paths) == paths.config_dir / "public_ratelimit.state"
    assert public_rate_limit_file(paths).exists()


class _WallClock:
    """A wall clock that can step back, as NTP steps a real one (ManualClock never does)."""

    def __init__(self, now: datetime) -> None:
        self.at = now

    def now(self) -> datetime:
        return self.at


def test_public_throttle_after_a_backward_clock_step_waits_one_interval_not_the_step(
    tmp_path: Path,
) -> None:
    wall = _WallClock(datetime(2026, 1, 5, 12, 0, tzinfo=UTC))
    waits: list[float] = []
    shared = PublicThrottle(1.0, wall, waits.append, state_file=tmp_path / "p.state")
    local = PublicThrottle(1.0, wall, waits.append)
    shared.acquire()
    local.acquire()

    wall.at -= timedelta(seconds=30)  # the clock steps back 30 s (no time passes)

    assert shared.acquire() == pytest.approx(1.0)  # not 31 s
    assert local.acquire() == pytest.approx(1.0)
    assert shared.acquire() == pytest.approx(2.0)  # the queue behind it is kept
    assert local.acquire() == pytest.approx(2.0)


def test_public_throttle_ignores_a_slot_more_than_a_few_intervals_ahead(
    tmp_path: Path, clock: ManualClock, sleeper: SleepRecorder
) -> None:
    state = tmp_path / "public_ratelimit.state"
    state.write_text('{"next": %f}' % (clock.now().timestamp() + 20))  # no written_at: old file
    throttle = _shared_throttle(tmp_path, clock, sleeper)

    assert throttle.acquire() == pytest.approx(1.0)


def test_private_limiter_after_a_backward_clock_step_with_full_counter_waits_seconds_not_the_step(
    tmp_path: Path,
) -> None:
    wall = _WallClock(datetime(2026, 1, 5, 12, 0, tzinfo=UTC))

    def sleep(seconds: float) -> None:  # sleeping moves the wall clock, as real time would
        wall.at += timedelta(seconds=seconds)

    limiter = PrivateRateLimiter(tmp_path / "ratelimit.state", "intermediate", wall, sleep)
    for _ in range(20):
        limiter.acquire("Balance")

    wall.at -= timedelta(hours=1)  # NTP steps the clock back an hour; the counter is full

    assert limiter.acquire("Balance") == pytest.approx(2.0)  # one over 20 at 0.5/s, not 1 h
    # Another process on the same state file sees the counter decaying from the step on.
    other = PrivateRateLimiter(tmp_path / "ratelimit.state", "intermediate", wall, sleep)
    wall.at += timedelta(seconds=10)
    assert other.counter() == pytest.approx(15.0)
    assert other.acquire("QueryOrders") == 0.0
