"""Structured logging for every process, with secrets scrubbed from every record.

``configure_logging`` renders JSON lines when stderr is not a terminal, readable lines when it
is. Every line carries ``env`` (dev, paper, live) and the ids of ``log_context`` blocks around
it (``log_context.py``). ``SECRET_SCRUBBER`` is process-wide on purpose: logging itself is
process-wide, and a record must be scrubbed whichever logger or handler (pytest's included)
sees it.
"""

import logging
import os
import re
import sys
import threading
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any

import structlog

from krakked_core.errors import ConfigError
from krakked_core.log_context import current_log_context

REDACTED = "**********"
# ``extra=`` of an info record that is a state change the operator should see on `krakked up`'s
# terminal (e.g. "connected", "REST fallback off"); warnings and errors are shown anyway.
SHOW_ON_TERMINAL = {"terminal": True}
_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
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
        # Plain containers only: a named tuple (e.g. a Dagster event) is left as it is.
        if type(value) in (list, tuple):
            return type(value)(self.scrub_value(item) for item in value)
        return value

    def scrub_record(self, record: logging.LogRecord) -> None:
        """Scrub the message, every ``extra`` field and the traceback text, in place."""
        if isinstance(record.msg, dict):  # structlog's event dict, rendered later
            record.msg = self.scrub_value(record.msg)
        else:
            record.msg = self.scrub(_message(record))
            record.args = None
        for name, value in list(vars(record).items()):
            if name not in _STANDARD_ATTRIBUTES and type(value) in (str, dict, list, tuple):
                setattr(record, name, self.scrub_value(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.scrub(record.exc_text)

    def install(self) -> None:
        """Scrub every record as it is made, after ``extra`` fields are attached.

        ``Logger.makeRecord`` is the one place every record passes through before any handler
        (ours, pytest's or Dagster's) sees it; the record factory alone would miss ``extra``.
        """
        with self._lock:
            if self._installed:
                return
            self._installed = True
        make_record: Callable[..., logging.LogRecord] = logging.Logger.makeRecord
        scrubber = self

        def scrubbed_make_record(logger: logging.Logger, *args: Any, **kwargs: Any) -> Any:
            record = make_record(logger, *args, **kwargs)
            scrubber.scrub_record(record)
            return record

        logging.Logger.makeRecord = scrubbed_make_record  # type: ignore[method-assign,assignment]


_STANDARD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def _message(record: logging.LogRecord) -> str:
    try:
        return record.getMessage()
    except Exception:  # noqa: BLE001 - a malformed log call must not break its caller
        return f"{record.msg} (log arguments did not match: {record.args!r})"


SECRET_SCRUBBER = SecretScrubber()
SECRET_SCRUBBER.install()


def _scrub_event(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> Mapping[str, Any]:
    scrubbed: dict[str, Any] = SECRET_SCRUBBER.scrub_value(dict(event_dict))
    return scrubbed


class _AddContext:
    """Add ``env`` and the ids of the enclosing ``log_context`` blocks to each event."""

    def __init__(self, env: str) -> None:
        self.env = env

    def __call__(
        self, _: Any, __: str, event_dict: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        event_dict.setdefault("env", self.env)
        for key, value in current_log_context().items():
            event_dict.setdefault(key, value)
        return event_dict


def log_env(mode: str, environ: Mapping[str, str] | None = None) -> str:
    """The ``env`` of log lines: ``KRAKKED_ENV`` when set, else from the execution mode."""
    env = os.environ if environ is None else environ
    return env.get("KRAKKED_ENV") or {"live": "live", "paper": "paper"}.get(mode, "dev")


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Write each record to ``sys.stderr`` as it is then, not as it was when configured.

    Whoever swaps stderr (a CLI test runner, pytest's capture) closes its stream afterwards; a
    handler holding it would fail every later record ("I/O operation on closed file").
    """

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass  # always the current sys.stderr


def configure_logging(
    level: str | None = None, *, json_lines: bool | None = None, env: str | None = None
) -> None:
    """Set up the root logger: level from ``KRAKKED_LOG_LEVEL`` (default INFO); ``env`` as
    ``log_env`` says (``KRAKKED_ENV``, or "dev" until the config is known)."""
    level_name = (level or os.environ.get("KRAKKED_LOG_LEVEL") or "INFO").upper()
    if level_name not in _LEVELS:
        raise ConfigError(
            f"KRAKKED_LOG_LEVEL: {level_name!r} is not a log level (one of {', '.join(_LEVELS)})"
        )
    if json_lines is None:
        json_lines = not sys.stderr.isatty()
    shared: list[Any] = [
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        _AddContext(env or log_env("dry_run")),
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
            _scrub_event,  # again: the traceback text exists only from here on
            renderer,
        ],
    )
    handler = _StderrHandler()
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
