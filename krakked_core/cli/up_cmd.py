"""`krakked up [--sim]`: every process of the system on loopback, stopped together."""

import signal
import sys
from types import FrameType

import typer

from krakked_core.cli.common import Runtime, exit_on_error, runtime
from krakked_core.cli.first_start import fill_history, sandbox_history_days
from krakked_core.cli.sim_cmd import credentials_file, load_or_create_credentials
from krakked_core.dagster_home import prepare_dagster_home
from krakked_core.db import upgrade
from krakked_core.launcher import Component, LaunchError, Supervisor, krakked_argv


def up(
    sim: bool = typer.Option(False, "--sim", help="Also start the sandbox exchange and use it."),
    seed: int = typer.Option(42, help="Sandbox price-path seed (with --sim)."),
    dagster_port: int = typer.Option(3000, help="Port of the Dagster UI (loopback)."),
) -> None:
    """Start everything on loopback: sandbox (with --sim), sidecar and Dagster."""
    rt = runtime()
    supervisor = Supervisor()
    stop_requested = False

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stop_requested
        stop_requested = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    try:
        with exit_on_error():
            _start_all(rt, supervisor, sim=sim, seed=seed, dagster_port=dagster_port)
            typer.echo("Krakked is up. Ctrl-C stops everything.", err=True)
            exited = supervisor.wait(lambda: stop_requested)
            if exited is not None:
                raise LaunchError(
                    f"{exited.component.name} exited with code {exited.process.returncode}; "
                    "stopping everything"
                )
    finally:
        supervisor.stop()


def _start_all(
    rt: Runtime, supervisor: Supervisor, *, sim: bool, seed: int, dagster_port: int
) -> None:
    if sim:
        _start_sandbox(rt, supervisor, seed)
    upgrade(rt.engine)
    fill_history(rt, supervisor, sim_seed=seed if sim else None)  # first_start.py
    supervisor.start(Component("sidecar", krakked_argv("sidecar")))
    dagster_home = prepare_dagster_home(rt.paths)
    supervisor.start(
        Component(
            "dagster",
            [
                sys.executable,
                "-m",
                "dagster",
                "dev",
                "-m",
                "krakked_pipeline.definitions",
                "-h",
                "127.0.0.1",
                "-p",
                str(dagster_port),
            ],
            env={"DAGSTER_HOME": str(dagster_home)},
        )
    )
    typer.echo(f"Dagster UI: http://127.0.0.1:{dagster_port}", err=True)


def _start_sandbox(rt: Runtime, supervisor: Supervisor, seed: int) -> None:
    days = str(sandbox_history_days(rt.config))  # the history the partitions hold
    argv = krakked_argv("sim", "--port", "0", "--seed", str(seed), "--history-days", days)
    running = supervisor.start(Component("sandbox", argv), capture_stdout=True)
    announced = supervisor.read_announcement(running)
    api_key, secret = load_or_create_credentials(credentials_file(rt.paths))
    if api_key != announced["api_key"]:
        raise LaunchError("the sandbox announced a key its credentials file does not hold")
    # Every later component talks to the sandbox, with its key, through the environment.
    supervisor.set_env(
        KRAKKED_EXCHANGE__REST_URL=announced["rest_url"],
        KRAKKED_EXCHANGE__WS_URL=announced["ws_url"],
        KRAKKED_API_KEY=announced["api_key"],
        KRAKKED_API_SECRET=secret,
    )
    typer.echo(f"Sandbox exchange: {announced['rest_url']}", err=True)


def register(app: typer.Typer) -> None:
    app.command("up")(up)
