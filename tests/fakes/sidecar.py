"""The sidecar in tests: short live-data timeouts, and the sidecar run in a thread that is stopped
and joined (with every thread it started) before the test ends."""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from krakked_core.sidecar import Sidecar, run_sidecar

# Seconds, kept short so every scenario runs in a few seconds.
FAST_WS = {
    "stale_tolerance_seconds": 3.0,
    "heartbeat_timeout_seconds": 3.0,
    "reconnect_initial_seconds": 0.05,
    "reconnect_max_seconds": 0.3,
    "silent_channel_seconds": 1.5,
    "rest_fallback_poll_seconds": 0.3,
    "rest_probe_seconds": 1.0,
    "publish_interval_seconds": 0.2,
    "subscribe_batch_size": 2,
}

# The sandbox server's thread pool: its workers belong to the (module-wide) sandbox, which ends
# them when it stops.
_SERVER_POOL_THREAD = "AnyIO worker thread"


@contextmanager
def no_thread_left(timeout: float = 15.0) -> Iterator[None]:
    """On leaving, wait for the threads started inside to end; fail naming any still running.

    A thread still running when pytest closes its capture logs "--- Logging error ---".
    """
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + timeout
    while left := [t for t in set(threading.enumerate()) - before if t.name != _SERVER_POOL_THREAD]:
        if time.monotonic() > deadline:
            pytest.fail(f"threads still running {timeout} s after the test: {left}")
        time.sleep(0.05)


@contextmanager
def sidecar_thread(sidecar: Sidecar, *, stop_within: float = 10) -> Iterator[threading.Thread]:
    """Run the sidecar in a thread; on leaving, stop it and require it to end in time, then wait
    for the REST calls it abandoned in flight (daemon threads) to end too."""
    with no_thread_left():
        stop = threading.Event()
        thread = threading.Thread(target=run_sidecar, args=(sidecar, stop))
        thread.start()
        try:
            yield thread
        finally:
            stop.set()
            thread.join(stop_within)
        assert not thread.is_alive(), f"the sidecar did not stop within {stop_within} s"
