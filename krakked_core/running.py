"""Whether Krakked runs on a data dir: `krakked up` holds an OS lock on a file for its lifetime.

An OS file lock (flock) is released when its holder dies, even by ``kill -9``, so a crashed
`up` never leaves a stale "running" mark behind. `krakked db restore` takes the same lock, so
`up` cannot start half-way through a restore either.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from krakked_core.errors import KrakkedRunningError
from krakked_core.files import locked
from krakked_core.paths import AppPaths


@contextmanager
def holding_running_lock(paths: AppPaths, doing: str) -> Iterator[None]:
    """Hold the data dir's lock while the block runs; raise at once if another holds it."""

    def running_error(lock_file: Path) -> Exception:
        return KrakkedRunningError(
            f"Krakked is running on {paths.data_dir} (another process holds {lock_file}): "
            f"stop `krakked up` first, then {doing}"
        )

    with locked(paths.running_lock_file, timeout_seconds=0, timeout_error=running_error):
        yield


def krakked_running(paths: AppPaths) -> bool:
    try:
        with holding_running_lock(paths, "retry"):
            return False
    except KrakkedRunningError:
        return True
