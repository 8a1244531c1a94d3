"""What every command shares: loading config and paths, and turning errors into exit codes."""

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import typer
from sqlalchemy import Engine

from krakked_core.clock import Clock, SystemClock
from krakked_core.config import AppConfig
from krakked_core.config_loading import load_effective_config
from krakked_core.db import make_engine
from krakked_core.errors import ConfigError, KrakkedError
from krakked_core.log import configure_logging, log_env
from krakked_core.model.market import Timeframe, parse_timeframe
from krakked_core.paths import AppPaths
from krakked_core.secrets import Credentials, load_credentials

EXIT_ERROR = 1


@dataclass
class Runtime:
    """Config and paths for one command; built lazily so `--help` never touches the disk."""

    paths: AppPaths
    config: AppConfig
    exchange_source: str  # where the exchange URLs came from (a running demo, a file, ...)
    demo: bool = False  # aimed at a running `krakked up --sim`
    clock: Clock = field(default_factory=SystemClock)

    def credentials(self) -> Credentials:
        """The key for this venue: the sandbox's own during a demo, never the real one."""
        if self.demo:
            # The real key (if any) must not go to the sandbox, and the sandbox's key is the
            # only one it accepts. Imported here: sim_cmd imports this module.
            from krakked_core.cli.sim_cmd import (  # noqa: PLC0415
                credentials_file,
                load_or_create_credentials,
            )

            key, secret = load_or_create_credentials(credentials_file(self.paths))
            return Credentials.of(key, secret, source="sandbox")
        return load_credentials(
            self.paths, password_prompt=lambda: typer.prompt("Master password", hide_input=True)
        )

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.config.db.resolved_url(self.paths), echo=self.config.db.echo)


def command_clock(ctx: typer.Context) -> Clock:
    """The clock a command runs on: the host's, or a `Clock` the caller passed as Click's
    ``obj`` (``CliRunner().invoke(app, args, obj=clock)``), so a test can pin the date."""
    obj = ctx.find_root().obj
    return obj if isinstance(obj, Clock) else SystemClock()


def runtime(clock: Clock | None = None) -> Runtime:
    """Load config (exit 1 with the reason when invalid) and make sure the directories exist."""
    paths = AppPaths.from_env()
    with exit_on_error():
        configure_logging()
        loaded = load_effective_config(paths)
        configure_logging(env=log_env(loaded.config.execution.mode))
    paths.ensure()
    return Runtime(
        paths=paths,
        config=loaded.config,
        exchange_source=loaded.exchange_source,
        demo=loaded.demo,
        clock=clock or SystemClock(),
    )


@contextmanager
def exit_on_error(code_for: Callable[[KrakkedError], int] | None = None) -> Iterator[None]:
    """Print a KrakkedError's message (never a traceback) and exit non-zero."""
    try:
        yield
    except KrakkedError as exc:
        prefix = "configuration error" if isinstance(exc, ConfigError) else type(exc).__name__
        typer.echo(f"{prefix}: {exc}", err=True)
        raise typer.Exit(code_for(exc) if code_for else EXIT_ERROR) from None


def timeframe_option(value: str, *, exit_code: int = 2) -> Timeframe:
    """A `--timeframe` value as a `Timeframe`, or exit (2: a usage error) saying which are valid."""
    try:
        return parse_timeframe(value)
    except ValueError as exc:
        typer.echo(f"--timeframe: {exc}", err=True)
        raise typer.Exit(exit_code) from None


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")
