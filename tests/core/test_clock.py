"""The clocks: a pinned clock starts where told and runs on the monotonic clock."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from krakked_core.clock import PinnedClock

START = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)


class FakeMonotonic:
    def __init__(self) -> None:
        self.value = 1000.0

    def __call__(self) -> float:
        return self.value


def test_pinned_clock_when_monotonic_time_passes_then_runs_from_its_start() -> None:
    monotonic = FakeMonotonic()
    clock = PinnedClock(START, monotonic)

    assert clock.now() == START
    monotonic.value += 90.5

    assert clock.now() == START + timedelta(seconds=90.5)
    assert clock.now().tzinfo == UTC


def test_pinned_clock_when_start_has_other_offset_then_now_in_utc() -> None:
    clock = PinnedClock(datetime(2025, 5, 1, 14, 0, tzinfo=timezone(timedelta(hours=2))))

    assert clock.now().utcoffset() == timedelta(0)
    assert clock.now() - START < timedelta(seconds=60)


def test_pinned_clock_when_start_naive_then_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        PinnedClock(datetime(2025, 5, 1, 12, 0))  # noqa: DTZ001 - the case under test
