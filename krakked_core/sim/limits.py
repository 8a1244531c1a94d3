"""Kraken's two rate limits: the private call counter per key and the trading counter per pair.

Both are leaky buckets: a call adds its cost, the counter decays at the tier's rate, and a call
that would take it over the maximum is refused without being counted. Time comes from the
exchange's clock, so a test on a ManualClock controls the decay.
"""

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from krakked_core.sim.errors import SimError

Tier = Literal["starter", "intermediate", "pro", "none"]

API_RATE_LIMIT = "EAPI:Rate limit exceeded"
ORDER_RATE_LIMIT = "EOrder:Rate limit exceeded"


@dataclass(frozen=True)
class BucketSpec:
    maximum: float
    decay_per_second: float


# FACTS.md: private counter max / decay per tier; trading threshold / decay per tier.
PRIVATE_LIMITS: dict[str, BucketSpec] = {
    "starter": BucketSpec(15, 0.33),
    "intermediate": BucketSpec(20, 0.5),
    "pro": BucketSpec(20, 1.0),
}
TRADING_LIMITS: dict[str, BucketSpec] = {
    "starter": BucketSpec(60, 1.0),
    "intermediate": BucketSpec(125, 2.34),
    "pro": BucketSpec(180, 3.75),
}

_HEAVY_CALLS = frozenset({"Ledgers", "QueryLedgers", "TradesHistory", "QueryTrades"})
# Order entry has its own per-pair counter and does not count against the private one.
_ORDER_ENTRY_CALLS = frozenset(
    {"AddOrder", "AddOrderBatch", "CancelOrder", "CancelOrderBatch", "EditOrder", "AmendOrder"}
)

# Cancelling a young order costs more: (age below, seconds) → penalty.
_CANCEL_PENALTIES: tuple[tuple[float, int], ...] = (
    (5, 8),
    (10, 6),
    (15, 5),
    (45, 4),
    (90, 2),
    (300, 1),
)


def private_call_cost(method: str) -> int:
    """Cost of a private call on the per-key counter."""
    if method in _ORDER_ENTRY_CALLS:
        return 0
    return 2 if method in _HEAVY_CALLS else 1


def cancel_penalty(age_seconds: float) -> int:
    """Trading-counter cost of cancelling an order that has been open ``age_seconds``."""
    for below, penalty in _CANCEL_PENALTIES:
        if age_seconds < below:
            return penalty
    return 0


class LeakyBuckets:
    """Named counters that decay linearly; thread-safe."""

    def __init__(self, spec: BucketSpec, now: Callable[[], datetime], error: str) -> None:
        self._spec = spec
        self._now = now
        self._error = error
        self._levels: dict[str, tuple[float, float]] = {}  # name → (level, at epoch seconds)
        self._lock = threading.Lock()

    def level(self, name: str) -> float:
        """The counter's current value after decay."""
        with self._lock:
            return self._decayed(name, self._now().timestamp())

    def charge(self, costs: dict[str, float], *, force: bool = False) -> None:
        """Add every cost at once, or raise SimError and add none (unless ``force``)."""
        at = self._now().timestamp()
        with self._lock:
            levels = {name: self._decayed(name, at) + cost for name, cost in costs.items()}
            over = any(level > self._spec.maximum for level in levels.values())
            if over and not force:
                raise SimError(self._error)
            for name, level in levels.items():
                self._levels[name] = (level, at)

    def _decayed(self, name: str, at: float) -> float:
        level, since = self._levels.get(name, (0.0, at))
        return max(0.0, level - self._spec.decay_per_second * max(0.0, at - since))


class RateLimiter:
    """Both of Kraken's counters for one sandbox; tier ``none`` turns them off."""

    def __init__(self, tier: Tier, now: Callable[[], datetime]) -> None:
        self.tier = tier
        self._private = (
            LeakyBuckets(PRIVATE_LIMITS[tier], now, API_RATE_LIMIT) if tier != "none" else None
        )
        self._trading = (
            LeakyBuckets(TRADING_LIMITS[tier], now, ORDER_RATE_LIMIT) if tier != "none" else None
        )

    def charge_private_call(self, api_key: str, method: str) -> None:
        """Count a private call against its key; raise SimError over the maximum."""
        cost = private_call_cost(method)
        if self._private is not None and cost:
            self._private.charge({api_key: cost})

    def check_trading(self, costs: dict[str, float]) -> None:
        """Raise SimError if these per-pair costs would exceed the threshold."""
        if self._trading is None or not costs:
            return
        at_most = {pair: self._trading.level(pair) + cost for pair, cost in costs.items()}
        maximum = TRADING_LIMITS[self.tier].maximum
        if any(level > maximum for level in at_most.values()):
            raise SimError(ORDER_RATE_LIMIT)

    def charge_trading(self, costs: dict[str, float]) -> None:
        """Add per-pair trading costs (after the exchange accepted the order or cancel)."""
        if self._trading is None or not costs:
            return
        # The exchange already acted, so the counter must show it even if a concurrent call got
        # in first; the next call is the one refused.
        self._trading.charge(costs, force=True)

    def private_level(self, api_key: str) -> float:
        return self._private.level(api_key) if self._private is not None else 0.0

    def trading_level(self, pair: str) -> float:
        return self._trading.level(pair) if self._trading is not None else 0.0
