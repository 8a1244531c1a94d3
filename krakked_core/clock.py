"""Time behind an interface, so tests and the sandbox exchange control it."""

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable


@runtime_checkable
class Clock(Protocol):
    """A source of the current UTC time."""

    def now(self) -> datetime:
        """Return the current time, timezone-aware in UTC."""
        ...


class MonotonicClock(Clock, Protocol):
    """A wall clock and a monotonic one: ages and ordering must survive the wall clock being set."""

    def monotonic(self) -> float:
        """Return seconds on a clock that only moves forward (its origin means nothing)."""
        ...


class SystemClock:
    """The machine's clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()


class PinnedClock:
    """A clock that starts at a given time and runs at the machine's pace from there.

    Elapsed time comes from the monotonic clock, so the calendar and steps of the system clock
    never move it: a sandbox on it is a live exchange on whatever date it was pinned to.
    """

    def __init__(self, start: datetime, monotonic: Callable[[], float] = time.monotonic) -> None:
        if start.tzinfo is None:
            raise ValueError("PinnedClock needs a timezone-aware start time")
        self._start = start.astimezone(UTC)
        self._monotonic = monotonic
        self._origin = monotonic()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=self._monotonic() - self._origin)

    def monotonic(self) -> float:
        return self._monotonic()


class ManualClock:
    """A clock that moves only when told to: deterministic tests and replays."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start time")
        self._now = start.astimezone(UTC)
        self._elapsed = 0.0  # what monotonic() reads: time moved, not the wall clock set
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def monotonic(self) -> float:
        with self._lock:
            return self._elapsed

    def advance(self, seconds: float) -> datetime:
        """Move the clock forward and return the new time."""
        if seconds < 0:
            raise ValueError("a clock does not go backwards")
        with self._lock:
            self._now += timedelta(seconds=seconds)
            self._elapsed += seconds
            return self._now

    def step(self, seconds: float) -> datetime:
        """Set the wall clock ``seconds`` away, either way, as NTP or an operator does: no time
        passes, so ``monotonic()`` stays put. Return the new wall time."""
        with self._lock:
            self._now += timedelta(seconds=seconds)
            return self._now

    def set(self, when: datetime) -> None:
        """Jump to ``when`` (not earlier than now)."""
        with self._lock:
            when = when.astimezone(UTC)
            if when < self._now:
                raise ValueError("a clock does not go backwards")
            self._elapsed += (when - self._now).total_seconds()
            self._now = when
