"""Prometheus metrics: one ``Metrics`` object per process, holding its own registry.

Counters and histograms are updated where things happen (Kraken calls in the REST client,
restarts in `krakked up`, plans and orders in the OMS); gauges of the system's state (stale
pairs, drift, kill switch, equity, PnL, drawdown) are read from the app DB at scrape time by
``metrics_state.StateCollector``, so every process serving ``/metrics`` shows the same state.
Names follow Prometheus conventions: ``krakked_…_total`` counters, ``_seconds`` durations.
"""

from collections.abc import Callable
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    make_asgi_app,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from krakked_core.errors import RateLimitError, RejectedError, TemporaryVenueError, VenueError

__all__ = ["CONTENT_TYPE_LATEST", "Metrics"]

# Candle close → order, plan processing: seconds, from sub-second to minutes.
_LATENCY_BUCKETS = (0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300)


class Metrics:
    """Every metric Krakked defines, registered on ``registry`` (a new one when None)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self.kraken_calls = Counter(
            "krakked_kraken_calls", "Kraken REST calls made, by endpoint.", ["endpoint"], registry=r
        )
        self.kraken_errors = Counter(
            "krakked_kraken_errors",
            "Kraken REST calls that failed, by endpoint and kind (temporary, rate_limit, "
            "rejected, other).",
            ["endpoint", "kind"],
            registry=r,
        )
        self.rate_limit_waits = Counter(
            "krakked_rate_limit_waits",
            "Times a call waited for Kraken's rate limit (public or private).",
            ["scope"],
            registry=r,
        )
        self.rate_limit_wait_seconds = Counter(
            "krakked_rate_limit_wait_seconds",
            "Seconds spent waiting for Kraken's rate limit.",
            ["scope"],
            registry=r,
        )
        self.process_restarts = Counter(
            "krakked_process_restarts",
            "Child processes `krakked up` restarted after they died, by process.",
            ["process"],
            registry=r,
        )
        self.plans = Counter(
            "krakked_plans", "Execution plans processed, by outcome.", ["outcome"], registry=r
        )
        self.orders = Counter(
            "krakked_orders", "Local orders, by final outcome.", ["outcome"], registry=r
        )
        self.order_errors = Counter(
            "krakked_order_errors",
            "Order errors (kind=error) and exchange rejections (kind=rejected).",
            ["kind"],
            registry=r,
        )
        self.candle_close_to_order_seconds = Histogram(
            "krakked_candle_close_to_order_seconds",
            "From the close of the candle a decision used to its order's submission.",
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.plan_processing_seconds = Histogram(
            "krakked_plan_processing_seconds",
            "Time to execute one execution plan.",
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )

    # --- what the REST client reports ----------------------------------------------------

    def kraken_call(self, endpoint: str, error: VenueError | None = None) -> None:
        self.kraken_calls.labels(endpoint=endpoint).inc()
        if error is not None:
            self.kraken_errors.labels(endpoint=endpoint, kind=error_kind(error)).inc()

    def rate_limit_wait(self, scope: str, seconds: float) -> None:
        if seconds > 0:
            self.rate_limit_waits.labels(scope=scope).inc()
            self.rate_limit_wait_seconds.labels(scope=scope).inc(seconds)

    # --- what the OMS reports ------------------------------------------------------------

    def plan_processed(self, outcome: str, seconds: float) -> None:
        self.plans.labels(outcome=outcome).inc()
        self.plan_processing_seconds.observe(seconds)

    def order_finished(self, outcome: str) -> None:
        self.orders.labels(outcome=outcome).inc()

    def order_error(self, kind: str) -> None:
        """``kind``: "error" (a failure of ours or the exchange's) or "rejected"."""
        self.order_errors.labels(kind=kind).inc()

    def order_submitted(self, seconds_since_candle_close: float) -> None:
        self.candle_close_to_order_seconds.observe(seconds_since_candle_close)

    # --- exposition ----------------------------------------------------------------------

    def render(self) -> bytes:
        """The text exposition format (``CONTENT_TYPE_LATEST``)."""
        return generate_latest(self.registry)

    def asgi_app(self) -> Callable[..., Any]:
        """An ASGI app serving the exposition (the API mounts it at ``/metrics``)."""
        return make_asgi_app(self.registry)


def error_kind(error: VenueError) -> str:
    if isinstance(error, RateLimitError):
        return "rate_limit"
    if isinstance(error, TemporaryVenueError):
        return "temporary"
    if isinstance(error, RejectedError):
        return "rejected"
    return "other"
