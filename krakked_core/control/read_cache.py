"""Recent answers of the costly queries, shared by every client for ``ttl_seconds``.

A panel polls every few seconds and several may be open: without this, each poll recomputes
the risk status (equity, exposure, drawdown from the books and the live tables). Any mutation
through the facade clears it, so an operator's own change shows at once; a change made by
another process (the CLI, a cycle) shows within ``ttl_seconds``. One (re-entrant) lock: a cache
miss is computed once, not by every waiting request, and the engine is never used by two
requests at once, nor read while a mutation reloads it.
"""

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar

from krakked_core.clock import Clock

T = TypeVar("T")


class ReadCache:
    def __init__(self, clock: Clock, ttl_seconds: float) -> None:
        self._clock = clock
        self._ttl = ttl_seconds
        self._lock = threading.RLock()
        self._entries: dict[str, tuple[datetime, Any]] = {}

    def get(self, key: str, compute: Callable[[], T]) -> T:
        """The answer computed less than ``ttl_seconds`` ago, or a fresh one."""
        with self._lock:
            now = self._clock.now()
            entry = self._entries.get(key)
            if entry is not None and (now - entry[0]).total_seconds() < self._ttl:
                value: T = entry[1]
                return value
            fresh = compute()
            self._entries[key] = (now, fresh)
            return fresh

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold off every cached read while a mutation runs; drop every answer after it."""
        with self._lock:
            try:
                yield
            finally:
                self._entries.clear()
