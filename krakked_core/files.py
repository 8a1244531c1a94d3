"""Owner-only files written atomically, and one lock per path shared by threads and processes.

Several processes (Dagster runs, the sidecar, the API) share small state files in the config
dir: the secrets file, the nonce counter, the private rate-limit counter. Each is replaced whole
(a crash leaves the old file or the new one, never half of either) and each is read-modify-written
under ``locked()``, which excludes other threads of this process *and* other processes.
"""

import os
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import filelock

DEFAULT_LOCK_TIMEOUT_SECONDS = 120.0
_POLL_SECONDS = 0.002  # the locks guard millisecond work: poll finely


def write_private_file(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` (0600) via temp file, fsync and rename; old file kept on error."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    """Make the rename durable where the OS allows opening a directory."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _timed_out(lock_path: Path) -> Exception:
    return TimeoutError(f"another thread or process has held the lock {lock_path} for too long")


class _PathLock:
    """A thread lock and a file lock on one lock file; the thread lock is always taken first.

    The file lock alone is not enough inside one process: with ``thread_local=False`` filelock
    counts re-entries per object, so a second thread would walk straight in.
    """

    def __init__(self, lock_path: Path) -> None:
        # Before filelock creates the lock file: the directory is the owner's alone.
        lock_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.thread_lock = threading.Lock()
        self.file_lock = filelock.FileLock(
            lock_path, mode=0o600, thread_local=False, poll_interval=_POLL_SECONDS
        )


# Weak values: a pair lives while some caller holds or waits on it, so every user of one path
# in this process meets the same thread lock, and unused pairs do not pile up.
_registry: "weakref.WeakValueDictionary[str, _PathLock]" = weakref.WeakValueDictionary()
_registry_lock = threading.Lock()


def _path_lock(lock_path: Path) -> _PathLock:
    key = os.path.abspath(lock_path)
    with _registry_lock:
        pair = _registry.get(key)
        if pair is None:
            pair = _PathLock(Path(key))
            _registry[key] = pair
        return pair


@contextmanager
def locked(
    lock_path: Path,
    *,
    timeout_seconds: float = DEFAULT_LOCK_TIMEOUT_SECONDS,
    timeout_error: Callable[[Path], Exception] = _timed_out,
) -> Iterator[None]:
    """Hold ``lock_path`` against every other thread and process until the block ends.

    Waiting longer than ``timeout_seconds`` raises ``timeout_error(lock_path)`` (by default a
    ``TimeoutError``); the block itself is never entered then.
    """
    pair = _path_lock(lock_path)
    deadline = time.monotonic() + timeout_seconds
    if not pair.thread_lock.acquire(timeout=max(timeout_seconds, 0.0)):
        raise timeout_error(lock_path)
    try:
        try:
            pair.file_lock.acquire(timeout=max(deadline - time.monotonic(), 0.0))
        except filelock.Timeout:
            raise timeout_error(lock_path) from None
        try:
            yield
        finally:
            pair.file_lock.release()
    finally:
        pair.thread_lock.release()
