"""Where `krakked up`'s children write: everything to a log file, state changes to the terminal.

Each child's output goes whole (secrets scrubbed, colour codes removed) to
``<data dir>/logs/<component>.log``, rotated by size (``rotating_file.py``); each start begins a
new file, the previous run's moving to ``<component>.log.1``.
The terminal gets only what an operator must see: warnings and errors of Krakked's JSON log
lines, the info lines marked ``log.SHOW_ON_TERMINAL`` (state changes), and Dagster's own error
lines. Other info lines (heartbeats, ticks, per-channel chatter) and Dagster's
Beta/Preview/Supersession warnings stay in the file.
"""

import json
import re
import threading
from pathlib import Path
from typing import IO

from krakked_core.log import SECRET_SCRUBBER
from krakked_core.rotating_file import RotatingFile

DEFAULT_MAX_BYTES = 100 * 1024 * 1024
DEFAULT_KEEP = 7

_SHOWN_LEVELS = frozenset({"warning", "error", "critical", "exception"})
# Dagster's own line format: "<date> <time> <tz> - <logger> - <LEVEL> - <message>".
_DAGSTER_LINE = re.compile(r" - (?P<logger>[\w.]+) - (?P<level>[A-Z]+) - (?P<message>.*)$")
_DAGSTER_SHOWN = frozenset({"ERROR", "CRITICAL"})
_DAGSTER_SHOWN_JSON = frozenset({"error", "critical", "exception"})
_DAGSTER_NOISE = re.compile(r"(Beta|Preview|Supersession|Deprecation)Warning")
_ANSI_COLOUR = re.compile(r"\x1b\[[0-9;]*m")  # Dagster colours its own lines even into a pipe


def terminal_line(component: str, line: str) -> str | None:
    """The line to show on the terminal for one line a child wrote, or None to keep it quiet."""
    text = plain_text(line).rstrip("\n")
    if not text.strip() or _DAGSTER_NOISE.search(text):
        return None
    try:
        record = json.loads(text)
    except ValueError:
        record = None
    if isinstance(record, dict):
        level = str(record.get("level", "")).lower()
        # Dagster's own JSON lines (``--log-format json``): errors only, as in its text format.
        shown = _DAGSTER_SHOWN_JSON if _is_dagster(record) else _SHOWN_LEVELS
        if level not in shown and record.get("terminal") is not True:
            return None
        return f"{component}: {level}: {record.get('event', text)}"
    match = _DAGSTER_LINE.search(text)
    if match and match["level"] in _DAGSTER_SHOWN:
        return f"{component}: {match['level'].lower()}: {match['message']}"
    return None


def _is_dagster(record: dict[str, object]) -> bool:
    return str(record.get("logger", "")).startswith("dagster")


def plain_text(line: str) -> str:
    """``line`` without terminal colour codes and with every registered secret redacted."""
    return SECRET_SCRUBBER.scrub(_ANSI_COLOUR.sub("", line))


def log_file(log_dir: Path, component: str) -> Path:
    return log_dir / f"{component}.log"


class OutputRouter:
    """Copies each child's output to its log file and the few lines that matter to a terminal."""

    def __init__(
        self,
        log_dir: Path,
        terminal: IO[str],
        max_bytes: int = DEFAULT_MAX_BYTES,
        keep: int = DEFAULT_KEEP,
    ) -> None:
        self._log_dir = log_dir
        self._max_bytes = max_bytes
        self._keep = keep
        self._terminal = terminal
        self._terminal_lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def attach(self, component: str, stream: IO[str]) -> Path:
        """Start copying ``stream`` (until it closes); return the log file it goes to."""
        self._log_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = log_file(self._log_dir, component)
        out = RotatingFile(path, self._max_bytes, self._keep)
        out.rotate()  # this run starts a file of its own
        thread = threading.Thread(
            target=self._copy, args=(component, stream, out), name=f"log-{component}", daemon=True
        )
        thread.start()
        self._threads.append(thread)
        return path

    def join(self, timeout_seconds: float = 5) -> None:
        """Wait for the copies to finish (their children have exited and closed the pipes)."""
        for thread in self._threads:
            thread.join(timeout_seconds)

    def _copy(self, component: str, stream: IO[str], out: RotatingFile) -> None:
        try:
            for raw in stream:
                line = plain_text(raw)
                out.write(line)
                shown = terminal_line(component, line)
                if shown is not None:
                    with self._terminal_lock:
                        self._terminal.write(shown + "\n")
                        self._terminal.flush()
        finally:
            out.close()
