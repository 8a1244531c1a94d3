"""Fault injection: what can go wrong between a Kraken client and Kraken, on purpose.

A FaultProfile holds the rates; a FaultInjector draws from a seeded RNG, a fixed number of
draws per request, so one seed and one request sequence always give the same faults and a
failing test can be replayed.
"""

import collections
import enum
import json
import random
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from krakked_core.errors import ConfigError

Rate = float

HTTP_5XX_STATUSES = (500, 502, 503, 504)


class FaultProfile(BaseModel):
    """Rates (0..1) of each fault, and the WebSocket faults. All zero: a healthy exchange."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    seed: int = 0
    # --- REST: each request draws at most one of these (their sum must not exceed 1) ---
    http_5xx: Rate = Field(0.0, ge=0, le=1, description="answer 500/502/503/504, not processed")
    service_unavailable: Rate = Field(0.0, ge=0, le=1, description="EService:Unavailable")
    service_busy: Rate = Field(0.0, ge=0, le=1, description="EService:Busy")
    timeout: Rate = Field(0.0, ge=0, le=1, description="processed, then held timeout_seconds")
    add_order_lost_response: Rate = Field(
        0.0,
        ge=0,
        le=1,
        description="AddOrder executed, its response lost: applies only when the order was "
        "placed (the answer carries a txid); rejections and validate-only calls answer normally",
    )
    timeout_seconds: float = Field(30.0, ge=0, description="how long a timed-out call is held")
    timeout_then: Literal["answer", "drop"] = "drop"
    lost_response_as: Literal["http_502", "drop"] = "http_502"
    latency_ms: float = Field(0.0, ge=0, description="added to every REST answer")
    methods: frozenset[str] | None = Field(
        None, description="faults apply only to these REST methods (None: every method)"
    )
    # --- WebSocket ---
    drop_every_seconds: float | None = Field(None, gt=0, description="close each connection")
    malformed_frame_rate: Rate = Field(0.0, ge=0, le=1, description="data frames sent broken")
    silent_channels: frozenset[str] = Field(
        frozenset(), description="'ticker', 'ohlc' or 'ohlc:BTC/USD': acked, then no data"
    )

    @model_validator(mode="after")
    def _rates_fit(self) -> Self:
        total = (
            self.http_5xx
            + self.service_unavailable
            + self.service_busy
            + self.timeout
            + self.add_order_lost_response
        )
        if total > 1:
            raise ValueError(f"REST fault rates add up to {total} (> 1)")
        return self

    @classmethod
    def from_file(cls, path: Path) -> "FaultProfile":
        """Load a profile from YAML or JSON; ConfigError names what is wrong."""
        try:
            text = path.read_text(encoding="utf-8")
            data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
            return cls.model_validate(data or {})
        except (OSError, ValueError, yaml.YAMLError, ValidationError) as exc:
            raise ConfigError(f"fault profile {path}: {exc}") from exc

    def is_silent(self, channel: str, symbol: str) -> bool:
        return channel in self.silent_channels or f"{channel}:{symbol}" in self.silent_channels


class HttpFault(enum.Enum):
    NONE = "none"
    HTTP_5XX = "http_5xx"
    SERVICE_UNAVAILABLE = "service_unavailable"
    SERVICE_BUSY = "service_busy"
    TIMEOUT = "timeout"
    ADD_ORDER_LOST_RESPONSE = "add_order_lost_response"


@dataclass(frozen=True)
class HttpDecision:
    """What to do to one REST request."""

    fault: HttpFault
    status: int = 200  # the status for HTTP_5XX


class FaultInjector:
    """Draws fault decisions from a profile's seeded RNG; thread-safe; replaceable at runtime."""

    def __init__(self, profile: FaultProfile | None = None) -> None:
        self._lock = threading.Lock()
        self._profile = profile or FaultProfile()
        self._rng = random.Random(self._profile.seed)  # noqa: S311 - reproducible, not secret
        self._ws_connections = 0
        # (method, fault) of recent requests: what a test compares between two runs.
        self.history: collections.deque[tuple[str, HttpFault]] = collections.deque(maxlen=10_000)

    @property
    def profile(self) -> FaultProfile:
        with self._lock:
            return self._profile

    def set_profile(self, profile: FaultProfile) -> None:
        """Switch profile and restart its RNG from its seed."""
        with self._lock:
            self._profile = profile
            self._rng = random.Random(profile.seed)  # noqa: S311
            self._ws_connections = 0
            self.history.clear()

    def decide_http(self, method: str) -> HttpDecision:
        """Draw the fault for one REST request (two draws each, whatever the outcome)."""
        with self._lock:
            profile = self._profile
            if profile.methods is not None and method not in profile.methods:
                return HttpDecision(HttpFault.NONE)
            draw, status_draw = self._rng.random(), self._rng.random()
            fault = _pick(profile, draw, method)
            self.history.append((method, fault))
        status = HTTP_5XX_STATUSES[int(status_draw * len(HTTP_5XX_STATUSES))]
        return HttpDecision(fault, status if fault is HttpFault.HTTP_5XX else 200)

    def ws_rng(self) -> random.Random:
        """A fresh RNG for the next WebSocket connection: connection n of seed s replays."""
        with self._lock:
            self._ws_connections += 1
            return random.Random(f"{self._profile.seed}:ws:{self._ws_connections}")  # noqa: S311


def _pick(profile: FaultProfile, draw: float, method: str) -> HttpFault:
    """Map one uniform draw onto the cumulative rates (lost response only for AddOrder)."""
    lost = profile.add_order_lost_response if method == "AddOrder" else 0.0
    bands = (
        (HttpFault.HTTP_5XX, profile.http_5xx),
        (HttpFault.SERVICE_UNAVAILABLE, profile.service_unavailable),
        (HttpFault.SERVICE_BUSY, profile.service_busy),
        (HttpFault.TIMEOUT, profile.timeout),
        (HttpFault.ADD_ORDER_LOST_RESPONSE, lost),
    )
    upper = 0.0
    for fault, rate in bands:
        upper += rate
        if draw < upper:
            return fault
    return HttpFault.NONE
