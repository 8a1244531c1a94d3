"""A nonce that only goes up, for every thread and process signing with one API key.

Kraken rejects a nonce not greater than the last one it saw for the key (``EAPI:Invalid
nonce``). Dagster runs, the sidecar and the API sign with the same key, so the last nonce lives
in a file in the config dir, read and advanced under a file lock. Each new nonce is
``max(last + 1, clock in milliseconds)``: a wiped or damaged file never makes it go backwards.

Issuing a nonce and *sending* the request must happen under the same lock: if process A takes
100 and process B takes 101 but B's request lands first, Kraken rejects A's. ``issue()`` keeps
the lock until the caller's request is done; private calls of one key are thereby serialised,
which Kraken's rate limit (well under one call per second sustained) makes cheap.
"""

import logging
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Protocol

from krakked_core.clock import Clock, SystemClock
from krakked_core.errors import TemporaryVenueError
from krakked_core.files import DEFAULT_LOCK_TIMEOUT_SECONDS, locked, write_private_file

logger = logging.getLogger(__name__)


class NonceSource(Protocol):
    """Where signed requests get their nonce."""

    def issue(self) -> AbstractContextManager[int]:
        """Hold the nonce lock while the request with the yielded nonce is signed and sent."""
        ...

    def next_nonce(self) -> int:
        """Return a fresh nonce without holding the lock (tests, one-off use)."""
        ...


class FileNonceSource:
    """A file-locked counter in ``path``, seeded from ``clock`` in milliseconds."""

    def __init__(
        self,
        path: Path,
        clock: Clock | None = None,
        *,
        lock_timeout_seconds: float = DEFAULT_LOCK_TIMEOUT_SECONDS,
    ) -> None:
        self._path = path
        # The same lock file name as before files.locked existed, so that processes of an
        # older and a newer Krakked running side by side still exclude each other.
        self._lock_path = path.with_name(path.name + ".lock")
        self._lock_timeout_seconds = lock_timeout_seconds
        self._clock = clock or SystemClock()

    def __repr__(self) -> str:
        return f"FileNonceSource(path={str(self._path)!r})"

    @contextmanager
    def issue(self) -> Iterator[int]:
        """Yield the next nonce, keeping every other thread and process out until done."""
        with locked(
            self._lock_path,
            timeout_seconds=self._lock_timeout_seconds,
            timeout_error=_held_too_long,
        ):
            yield self._advance()

    def next_nonce(self) -> int:
        with self.issue() as nonce:
            return nonce

    def _advance(self) -> int:
        now_ms = int(self._clock.now().timestamp() * 1000)
        nonce = max(self._read_last() + 1, now_ms)
        self._write(nonce)
        return nonce

    def _read_last(self) -> int:
        try:
            text = self._path.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            return 0
        except (OSError, UnicodeDecodeError) as exc:
            logger.warning(
                "nonce file unreadable, seeding from the clock", extra={"error": str(exc)}
            )
            return 0
        if not text.isdigit():
            logger.warning(
                "nonce file damaged, seeding from the clock", extra={"path": str(self._path)}
            )
            return 0
        return int(text)

    def _write(self, nonce: int) -> None:
        """Replace the file whole, so a crash never leaves a half-written number."""
        write_private_file(self._path, str(nonce).encode("ascii"))


def _held_too_long(lock_path: Path) -> Exception:
    return TemporaryVenueError(f"another process has held the nonce lock {lock_path} for too long")
