"""Client-side rate limiting, so Kraken never has to say ``EAPI:Rate limit exceeded``.

- Public calls: at most ``rate_per_second`` (Kraken limits per IP, undocumented; about one per
  second is what every client uses). Given a state file, the spacing is shared by every process
  using it (the sidecar, Dagster runs, the CLI): each call reserves the next free slot under a
  file lock, then waits for it outside the lock.
- Private calls: Kraken's counter model per key. A counter starts at 0, history calls add 2,
  other calls 1, ``AddOrder``/``CancelOrder`` nothing (they have the per-pair trading counter);
  it decays continuously by the tier's rate and must stay at or under the tier's maximum. The
  counter lives in a file beside the nonce, under a file lock, because every process using the
  key draws on the same counter at Kraken.

Both limiters wait rather than fail; time and sleeping are injected so tests never sleep.
"""

import json
import logging
import math
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from krakked_core.clock import Clock, SystemClock
from krakked_core.errors import TemporaryVenueError
from krakked_core.files import locked, write_private_file

logger = logging.getLogger(__name__)

Sleeper = Callable[[float], None]
# Float error after a computed wait must not cause another (microscopic) wait.
_TOLERANCE = 1e-6
Tier = Literal["starter", "intermediate", "pro"]


@dataclass(frozen=True)
class TierLimits:
    """Kraken's private counter: its maximum and how fast it drains (per second)."""

    max_counter: float
    decay_per_second: float


TIER_LIMITS: dict[str, TierLimits] = {
    "starter": TierLimits(max_counter=15, decay_per_second=0.33),
    "intermediate": TierLimits(max_counter=20, decay_per_second=0.5),
    "pro": TierLimits(max_counter=20, decay_per_second=1.0),
}

HISTORY_METHODS = frozenset({"Ledgers", "QueryLedgers", "TradesHistory", "QueryTrades"})
# Trading calls are counted per pair by Kraken's separate trading limiter, not this one. The
# cancel-everything calls are kept off this counter as well so a kill switch never waits
# behind a history sync.
UNCOUNTED_METHODS = frozenset(
    {
        "AddOrder",
        "AddOrderBatch",
        "EditOrder",
        "AmendOrder",
        "CancelOrder",
        "CancelOrderBatch",
        "CancelAll",
        "CancelAllOrdersAfter",
    }
)


def private_call_cost(method: str) -> int:
    """How much one private call adds to Kraken's counter."""
    if method in UNCOUNTED_METHODS:
        return 0
    return 2 if method in HISTORY_METHODS else 1


def _epoch(clock: Clock) -> float:
    return clock.now().timestamp()


# A reserved slot more than this many intervals ahead is not a queue of callers (each holds one
# slot at a time) but a bad file, or a clock step the file cannot show: start again from now.
_MAX_PUBLIC_QUEUED_SLOTS = 8


def _rebased(next_allowed: float, written_at: float | None, now: float) -> float:
    """The slot as of ``now``: after a backward clock step (``now`` before the time the slot was
    written), keep the wait that was left then, not the gap the step opened."""
    if written_at is None or not math.isfinite(written_at) or now >= written_at:
        return next_allowed
    return now + max(0.0, next_allowed - written_at)


class PublicThrottle:
    """Spaces public calls at least ``1 / rate_per_second`` apart: within this process, or
    across every process sharing ``state_file``."""

    def __init__(
        self,
        rate_per_second: float,
        clock: Clock | None = None,
        sleeper: Sleeper = time.sleep,
        *,
        state_file: Path | None = None,
        lock_timeout_seconds: float = 120.0,
    ) -> None:
        if rate_per_second <= 0:
            raise ValueError("rate_per_second must be positive")
        self._interval = 1.0 / rate_per_second
        self._clock = clock or SystemClock()
        self._sleep = sleeper
        self._lock = threading.Lock()
        self._next_allowed: float | None = None  # without a state file
        self._written_at: float | None = None  # when _next_allowed was set (wall clock)
        self._state_file = state_file
        self._lock_timeout = lock_timeout_seconds

    def __repr__(self) -> str:
        return f"PublicThrottle(interval={self._interval:g}s, state_file={self._state_file!r})"

    def acquire(self) -> float:
        """Wait until a public call is allowed; return the seconds waited."""
        if self._state_file is None:
            with self._lock:
                wait = self._reserve_local(_epoch(self._clock))
                if wait > 0:
                    self._sleep(wait)
                return wait
        with _locked(self._state_file, self._lock_timeout):
            wait = self._reserve_shared(_epoch(self._clock))
        if wait > 0:  # the slot is ours: wait for it without blocking other callers
            self._sleep(wait)
        return wait

    def _reserve_local(self, now: float) -> float:
        previous = now if self._next_allowed is None else self._next_allowed
        slot = max(now, _rebased(previous, self._written_at, now))
        self._next_allowed = slot + self._interval
        self._written_at = now
        return slot - now

    def _reserve_shared(self, now: float) -> float:
        """Take the next free slot from the state file; return how long until it comes."""
        slot = max(now, self._read_next_allowed(now))
        self._write_next_allowed(slot + self._interval, now)
        return slot - now

    def _read_next_allowed(self, now: float) -> float:
        assert self._state_file is not None
        try:
            state = json.loads(self._state_file.read_text(encoding="utf-8"))
            value = float(state["next"])
            written = state.get("written_at")
            written_at = None if written is None else float(written)
        except FileNotFoundError:
            return now
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            logger.warning("public rate limit state damaged; starting from now")
            return now + self._interval  # one interval of caution
        if not math.isfinite(value):
            return now + self._interval
        value = _rebased(value, written_at, now)
        if value - now > _MAX_PUBLIC_QUEUED_SLOTS * self._interval:
            return now + self._interval
        return value

    def _write_next_allowed(self, value: float, now: float) -> None:
        assert self._state_file is not None
        _write_json(self._state_file, {"next": value, "written_at": now})


class PrivateRateLimiter:
    """Kraken's private call counter, mirrored in ``state_file`` for every process of the key."""

    def __init__(
        self,
        state_file: Path,
        tier: Tier | str = "intermediate",
        clock: Clock | None = None,
        sleeper: Sleeper = time.sleep,
        *,
        lock_timeout_seconds: float = 120.0,
    ) -> None:
        if tier not in TIER_LIMITS:
            raise ValueError(f"unknown verification tier {tier!r}")
        self.limits = TIER_LIMITS[tier]
        self._state_file = state_file
        self._lock_timeout = lock_timeout_seconds
        self._clock = clock or SystemClock()
        self._sleep = sleeper

    def __repr__(self) -> str:
        return f"PrivateRateLimiter(state_file={str(self._state_file)!r}, limits={self.limits})"

    def acquire(self, method: str) -> float:
        """Add ``method``'s cost to the counter, waiting first if it would overflow.

        Return the total seconds waited.
        """
        cost = private_call_cost(method)
        if cost == 0:
            return 0.0
        waited = 0.0
        while True:
            wait = self._try_take(cost)
            if wait <= 0:
                return waited
            logger.debug("private rate limit: waiting", extra={"seconds": wait, "method": method})
            self._sleep(wait)
            waited += wait

    def counter(self) -> float:
        """The counter as of now (decayed), for status displays and tests."""
        with self._locked():
            return self._read_decayed(_epoch(self._clock))

    def note_rate_limited(self) -> None:
        """Kraken said the limit was hit: assume the counter is full, so callers wait it out."""
        with self._locked():
            self._write(self.limits.max_counter, _epoch(self._clock))

    def _try_take(self, cost: int) -> float:
        """Take ``cost`` now and return 0, or return how long to wait before trying again."""
        with self._locked():
            now = _epoch(self._clock)
            counter = self._read_decayed(now)
            overflow = counter + cost - self.limits.max_counter
            if overflow > _TOLERANCE:
                # Rounded up to whole microseconds so a clock of that resolution moves on.
                return math.ceil(overflow / self.limits.decay_per_second * 1e6) / 1e6
            self._write(counter + cost, now)
            return 0.0

    def _locked(self) -> AbstractContextManager[None]:
        return _locked(self._state_file, self._lock_timeout)

    def _read_decayed(self, now: float) -> float:
        counter, updated = self._read_state(now)
        if now < updated:
            # The wall clock stepped back since the last write. Rebase (as PublicThrottle does)
            # rather than decay on a monotonic clock: the file is shared by processes and must
            # survive restarts and reboots, and only wall time means the same to all of them.
            # Keep the counter as written (no credit for the unknown gap) and write the rebased
            # time, so it decays from now on for every process instead of after the step.
            self._write(counter, now)
            return counter
        return max(0.0, counter - (now - updated) * self.limits.decay_per_second)

    def _read_state(self, now: float) -> tuple[float, float]:
        try:
            raw = json.loads(self._state_file.read_text(encoding="utf-8"))
            counter, updated = float(raw["counter"]), float(raw["updated"])
            if not (math.isfinite(counter) and math.isfinite(updated)):
                raise ValueError("not a finite counter and time")  # NaN would read as empty
            return counter, updated
        except FileNotFoundError:
            return 0.0, now
        except (OSError, ValueError, KeyError, TypeError):
            # Unknown state: assume the worst (a full counter) rather than risk a lockout.
            logger.warning("rate limit state damaged; assuming a full counter")
            self._write(self.limits.max_counter, now)  # repaired, so the wait runs down
            return self.limits.max_counter, now

    def _write(self, counter: float, now: float) -> None:
        _write_json(self._state_file, {"counter": counter, "updated": now})


def _write_json(path: Path, data: dict[str, float]) -> None:
    write_private_file(path, json.dumps(data).encode())


def _locked(state_file: Path, timeout_seconds: float) -> AbstractContextManager[None]:
    """The state file's lock, shared by threads and processes; held too long: a retryable error."""
    return locked(
        state_file.with_name(state_file.name + ".lock"),
        timeout_seconds=timeout_seconds,
        timeout_error=lambda _path: TemporaryVenueError(
            "another process has held the rate-limit lock too long"
        ),
    )
