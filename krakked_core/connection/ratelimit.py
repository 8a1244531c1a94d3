"""Client-side rate limiting, so Kraken never has to say ``EAPI:Rate limit exceeded``.

- Public calls: at most ``rate_per_second`` per process (Kraken limits per IP, undocumented;
  about one per second is what every client uses).
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
import os
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import filelock

from krakked_core.clock import Clock, SystemClock
from krakked_core.errors import TemporaryVenueError

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


class PublicThrottle:
    """Spaces public calls at least ``1 / rate_per_second`` apart within this process."""

    def __init__(
        self, rate_per_second: float, clock: Clock | None = None, sleeper: Sleeper = time.sleep
    ) -> None:
        if rate_per_second <= 0:
            raise ValueError("rate_per_second must be positive")
        self._interval = 1.0 / rate_per_second
        self._clock = clock or SystemClock()
        self._sleep = sleeper
        self._lock = threading.Lock()
        self._next_allowed: float | None = None

    def acquire(self) -> float:
        """Wait until a public call is allowed; return the seconds waited."""
        with self._lock:
            now = _epoch(self._clock)
            wait = 0.0 if self._next_allowed is None else max(0.0, self._next_allowed - now)
            if wait > 0:
                self._sleep(wait)
            self._next_allowed = max(now, self._next_allowed or now) + self._interval
            return wait


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
        state_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._clock = clock or SystemClock()
        self._sleep = sleeper
        self._thread_lock = threading.Lock()
        self._file_lock = filelock.FileLock(
            str(state_file) + ".lock",
            timeout=lock_timeout_seconds,
            mode=0o600,
            thread_local=False,
            poll_interval=0.002,
        )

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

    def _locked(self) -> "_BothLocks":
        return _BothLocks(self._thread_lock, self._file_lock)

    def _read_decayed(self, now: float) -> float:
        counter, updated = self._read_state(now)
        elapsed = max(0.0, now - updated)
        return max(0.0, counter - elapsed * self.limits.decay_per_second)

    def _read_state(self, now: float) -> tuple[float, float]:
        try:
            raw = json.loads(self._state_file.read_text(encoding="utf-8"))
            return float(raw["counter"]), float(raw["updated"])
        except FileNotFoundError:
            return 0.0, now
        except (OSError, ValueError, KeyError, TypeError):
            # Unknown state: assume the worst (a full counter) rather than risk a lockout.
            logger.warning("rate limit state damaged; assuming a full counter")
            self._write(self.limits.max_counter, now)  # repaired, so the wait runs down
            return self.limits.max_counter, now

    def _write(self, counter: float, now: float) -> None:
        self._state_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=self._state_file.parent, prefix=".ratelimit.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump({"counter": counter, "updated": now}, handle)
            os.replace(tmp, self._state_file)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


class _BothLocks:
    """The thread lock, then the file lock; a lock held too long is a temporary failure."""

    def __init__(self, thread_lock: threading.Lock, file_lock: filelock.BaseFileLock) -> None:
        self._thread_lock = thread_lock
        self._file_lock = file_lock

    def __enter__(self) -> None:
        self._thread_lock.acquire()
        try:
            self._file_lock.acquire()
        except filelock.Timeout:
            self._thread_lock.release()
            raise TemporaryVenueError(
                "another process has held the rate-limit lock too long"
            ) from None
        except BaseException:
            self._thread_lock.release()
            raise

    def __exit__(self, *exc_info: object) -> None:
        self._file_lock.release()
        self._thread_lock.release()
