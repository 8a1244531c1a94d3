"""The active sandbox venue: where a running `krakked up --sim` tells other commands to go.

`krakked up --sim` starts the sandbox on a random port. So that every `krakked` command in another
terminal reaches that sandbox (and not api.kraken.com), the launcher records the sandbox's URLs in
``<data dir>/active_venue.json`` (written atomically, removed on exit). A record whose launcher is
gone or whose sandbox no longer accepts connections (a crashed run) is stale and ignored.
"""

import logging
import os
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import AwareDatetime, BaseModel, ConfigDict, ValidationError

from krakked_core.errors import ConfigError
from krakked_core.files import write_private_file
from krakked_core.loopback import accepts_connections
from krakked_core.paths import AppPaths

logger = logging.getLogger(__name__)

_CONNECT_TIMEOUT_SECONDS = 0.5


class ActiveVenue(BaseModel):
    """What a running `krakked up --sim` publishes about its sandbox."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rest_url: str
    ws_url: str
    launcher_pid: int
    started_at: AwareDatetime

    def describe(self, record: Path) -> str:
        return f"the running sandbox demo (`krakked up --sim`, pid {self.launcher_pid}; {record})"


def record_active_venue(paths: AppPaths, venue: ActiveVenue) -> None:
    """Publish ``venue`` for other commands (atomic: readers see the old record or the new)."""
    write_private_file(paths.active_venue_file, venue.model_dump_json().encode())


def clear_active_venue(paths: AppPaths) -> None:
    """Remove the record if this process wrote it (another demo's record is left alone)."""
    try:
        venue = _parse(paths.active_venue_file)
    except ConfigError:
        venue = None
    if venue is not None and venue.launcher_pid == os.getpid():
        paths.active_venue_file.unlink(missing_ok=True)


def active_venue(paths: AppPaths) -> ActiveVenue | None:
    """The running demo's venue; None without a record or when the record is stale."""
    venue = _parse(paths.active_venue_file)
    if venue is None:
        return None
    if not _process_alive(venue.launcher_pid) or not _accepts_connections(venue.rest_url):
        logger.warning(
            "ignoring a stale sandbox venue record: its `krakked up --sim` (pid %d) is gone",
            venue.launcher_pid,
            extra={"record": str(paths.active_venue_file), "launcher_pid": venue.launcher_pid},
        )
        return None
    return venue


def _parse(path: Path) -> ActiveVenue | None:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        return ActiveVenue.model_validate_json(text)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(top level)'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigError(
            f"{path}: not a sandbox venue record ({problems}); delete it if no "
            "`krakked up --sim` is running"
        ) from None


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user: not our launcher
        return False
    status = Path(f"/proc/{pid}/status")
    # A zombie has exited; only its parent has not reaped it yet.
    return not (status.exists() and "State:\tZ" in status.read_text(encoding="utf-8"))


def _accepts_connections(url: str) -> bool:
    parts = urlsplit(url)
    if parts.hostname is None or parts.port is None:
        return False
    return accepts_connections(parts.hostname, parts.port, _CONNECT_TIMEOUT_SECONDS)


def started_now(rest_url: str, ws_url: str, now: datetime) -> ActiveVenue:
    """The record this process (the launcher) publishes for its sandbox."""
    return ActiveVenue(rest_url=rest_url, ws_url=ws_url, launcher_pid=os.getpid(), started_at=now)
