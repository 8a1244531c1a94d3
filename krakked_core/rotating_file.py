"""A log file that rotates by size: ``name``, ``name.1`` (newest) … ``name.<keep>``, no more.

Logs must never grow without bound on a home server running for weeks (``ops.log_file_max_mb``
and ``ops.log_file_count``, default 100 MB × 7).
"""

import os
from pathlib import Path
from typing import IO


class RotatingFile:
    """Append lines to ``path``; past ``max_bytes`` it moves to ``.1`` and older ones shift up."""

    def __init__(self, path: Path, max_bytes: int, keep: int) -> None:
        if max_bytes <= 0 or keep < 1:
            raise ValueError("a rotating file needs max_bytes > 0 and keep >= 1")
        self.path = path
        self._max_bytes = max_bytes
        self._keep = keep
        self._out: IO[str] | None = None
        self._size = 0

    def rotate(self) -> None:
        """Move the current file to ``.1`` (each older one a number up; the oldest goes)."""
        self.close()
        self._numbered(self._keep).unlink(missing_ok=True)
        for n in range(self._keep - 1, 0, -1):
            if self._numbered(n).exists():
                self._numbered(n).replace(self._numbered(n + 1))
        if self.path.exists():
            self.path.replace(self._numbered(1))

    def write(self, line: str) -> None:
        size = len(line.encode("utf-8"))
        if self._out is not None and self._size + size > self._max_bytes:
            self.rotate()
        if self._out is None:
            self._open()
        assert self._out is not None
        self._out.write(line)
        self._out.flush()
        self._size += size

    def close(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None

    def _open(self) -> None:
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self._out = os.fdopen(fd, "a", encoding="utf-8")
        self._size = self.path.stat().st_size

    def _numbered(self, n: int) -> Path:
        return self.path.with_name(f"{self.path.name}.{n}")
