"""Structured logging for every process, with secrets scrubbed from every record.

``configure_logging`` renders JSON lines when stderr is not a terminal, readable lines when it
is. ``SECRET_SCRUBBER`` is process-wide on purpose: logging itself is process-wide, and a record
must be scrubbed whichever logger or handler (pytest's included) sees it.
"""

import logging
import os
import re
import sys
import threading
from collections.abc import Callable
from typing import Any

import structlog

REDACTED = "**********"
_SIGN_PATTERN = re.compile(r"(API-Sign['\"]?\s*[:=]\s*['\"]?)[A-Za-z0-9+/=]{16,}", re.IGNORECASE)


class SecretScrubber:
    """Replaces registered secret values (and any API-Sign value) in log records."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()
        self._lock = threading.Lock()
        self._installed = False

    def register(self, *values: str) -> None:
        """Never let these strings reach a log record. Short values are ignored (false hits)."""
        with self._lock:
            self._secrets.update(value for value in values if value and len(value) >= 8)

    def scrub(self, text: str) -> str:
        with self._lock:
            secrets = sorted(self._secrets, key=len, reverse=True)
        for secret in secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return _SIGN_PATTERN.sub(lambda m: m.group(1) + REDACTED, text)

    def scrub_value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.scrub(value)
        if isinstance(value, dict):
            return {key: self.scrub_value(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self.scrub_value(item) for item in value)
        return value

    def install(self) -> None:
        """Wrap the log record factory so every record is scrubbed as it is made."""
        with self._lock:
            if self._installed:
                return
            self._installed = True
        previous: Callable[..., logging.LogRecord] = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            if isinstance(record.msg, dict):  # structlog's event dict, rendered later
                record.msg = self.scrub_value(record.msg)
            else:
                record.msg = self.scrub(record.getMessage())
                record.args = None
            return record

        logging.setLogRecordFactory(factory)


SECRET_SCRUBBER = SecretScrubber()
SECRET_SCRUBBER.install()


def _scrub_event(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    scrubbed: dict[str, Any] = SECRET_SCRUBBER.scrub_value(event_dict)
    return scrubbed


def configure_logging(level: str | None = None, *, json_lines: bool | None = None) -> None:
    """Set up the root logger: level from ``KRAKKED_LOG_LEVEL`` (default INFO)."""
    level_name = (level or os.environ.get("KRAKKED_LOG_LEVEL") or "INFO").upper()
    if json_lines is None:
        json_lines = not sys.stderr.isatty()
    shared: list[Any] = [
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _scrub_event,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if json_lines
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level_name)
    # Alembic narrates every migration at INFO; operators need its warnings only.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, root.level))
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
