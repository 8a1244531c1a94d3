"""Runs in a child process: wait for the others, then draw nonces from the shared file."""

from pathlib import Path
from typing import Any

from krakked_core.connection.nonce import FileNonceSource


def draw_nonces(path: str, count: int, start: Any, results: Any) -> None:
    source = FileNonceSource(Path(path))
    start.wait()  # all processes draw at the same time
    results.put([source.next_nonce() for _ in range(count)])
