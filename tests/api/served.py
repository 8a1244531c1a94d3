"""An ASGI app served by uvicorn on a loopback port in a thread, stopped and joined on exit."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from krakked_core.loopback import accepts_connections, free_port

START_TIMEOUT = 10.0


@contextmanager
def served(app: Any) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 and yield its base URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, name="api-under-test", daemon=True)
    thread.start()
    try:
        started = threading.Event()
        for _ in range(int(START_TIMEOUT / 0.05)):
            if server.started and accepts_connections("127.0.0.1", port):
                started.set()
                break
            started.wait(0.05)
        assert started.is_set(), "the API did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=START_TIMEOUT)
        assert not thread.is_alive(), "the API server thread did not stop"
