"""`krakked up [--sim]`: every process of the system on loopback, stopped together."""

import signal
import sys
from contextlib import ExitStack
from types import FrameType

import typer

from krakked_core import dagster_processes as dagster
from krakked_core.child_logs import OutputRouter
from krakked_core.cli.common import Runtime, exit_on_error, runtime
from krakked_core.cli.first_start import fill_history, sandbox_history_days
from krakked_core.cli.sim_cmd import credentials_file, load_or_create_credentials
from krakked_core.clock import SystemClock
from krakked_core.dagster_api import DagsterApi, DagsterApiError
from krakked_core.dagster_home import prepare_dagster_home
from krakked_core.db.safe_upgrade import upgrade_with_backup
from krakked_core.db.server_clock import shared_clock
from krakked_core.launcher import Component, LaunchError, Supervisor, krakked_argv
from krakked_core.log import SECRET_SCRUBBER
from krakked_core.loopback import HOST, free_port
from krakked_core.market_data.live_store import LiveStore
from krakked_core.running import holding_running_lock
from krakked_core.venue import active_venue, clear_active_venue, record_active_venue, started_now

# In-flight Dagster runs get this long to end CANCELED before their code server stops.
CANCEL_RUNS_SECONDS = 60


def up(
    sim: bool = typer.Option(False, "--sim", help="Also start the sandbox exchange and use it."),
    seed: int = typer.Option(42, help="Sandbox price-path seed (with --sim)."),
    dagster_port: int = typer.Option(3000, help="Port of the Dagster UI (loopback)."),
    ready_timeout: float = typer.Option(
        180, help="Seconds each process gets to answer before start-up fails."
    ),
) -> None:
    """Start everything on loopback: sandbox (with --sim), sidecar and Dagster.

    Ready means every process answers. The terminal shows state changes, warnings and errors;
    every process's full log is in <data dir>/logs/.
    """
    rt = runtime()
    ops = rt.config.ops
    router = OutputRouter(
        rt.paths.log_dir, sys.stderr, ops.log_file_max_mb * 1024 * 1024, ops.log_file_count
    )
    supervisor = Supervisor(router=router)
    ui = DagsterApi(f"http://{HOST}:{dagster_port}")
    stop_requested = False
    starting = True

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stop_requested
        stop_requested = True
        if starting:  # a start-up wait can last minutes: end it now, then stop what runs
            raise LaunchError(f"{signal.Signals(signum).name} during start-up: stopping")

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    held = ExitStack()  # the data dir's "running" lock, held until every child is gone
    with exit_on_error():
        held.enter_context(holding_running_lock(rt.paths, "start it again"))
    try:
        with exit_on_error():
            _refuse_second_demo(rt)
            typer.echo(f"Logs of every process: {rt.paths.log_dir}", err=True)
            if sim:
                _start_sandbox(rt, supervisor, seed, ready_timeout)
            _start_rest(
                rt, supervisor, ui, dagster_port, ready_timeout, sim_seed=seed if sim else None
            )
            starting = False
            typer.echo(f"Krakked is up. Dagster UI: {ui.base_url}; Ctrl-C stops all.", err=True)
            exited = supervisor.wait(lambda: stop_requested)
            if exited is not None:
                raise LaunchError(
                    f"{exited.component.name} exited with code {exited.process.returncode}"
                    + exited.where_to_look()
                    + "; stopping everything"
                )
    finally:
        starting = False  # a second signal must not interrupt the shutdown itself
        _stop_all(rt, supervisor, ui)
        router.join()
        held.close()


def _refuse_second_demo(rt: Runtime) -> None:
    running = active_venue(rt.paths)
    if running is not None:
        raise LaunchError(
            f"{running.describe(rt.paths.active_venue_file)} already uses this data dir "
            f"({rt.paths.data_dir}): stop it first, or set another KRAKKED_DATA_DIR"
        )


def _start_sandbox(rt: Runtime, supervisor: Supervisor, seed: int, timeout: float) -> None:
    days = str(sandbox_history_days(rt.config))  # the history the partitions hold
    argv = krakked_argv("sim", "--port", "0", "--seed", str(seed), "--history-days", days)
    running = supervisor.start(
        Component("sandbox", argv),
        capture_stdout=True,
    )
    announced = supervisor.read_announcement(running, timeout)
    api_key, secret = load_or_create_credentials(credentials_file(rt.paths))
    SECRET_SCRUBBER.register(secret)
    if api_key != announced["api_key"]:
        raise LaunchError("the sandbox announced a key its credentials file does not hold")
    # Every later component talks to the sandbox, with its key, through the environment;
    # commands in other terminals find it through the venue record.
    supervisor.set_env(
        KRAKKED_EXCHANGE__REST_URL=announced["rest_url"],
        KRAKKED_EXCHANGE__WS_URL=announced["ws_url"],
        KRAKKED_API_KEY=announced["api_key"],
        KRAKKED_API_SECRET=secret,
    )
    venue = started_now(announced["rest_url"], announced["ws_url"], SystemClock().now())
    record_active_venue(rt.paths, venue)
    typer.echo(
        f"Sandbox exchange: {announced['rest_url']} (every krakked command on this data dir "
        "uses it while this runs)",
        err=True,
    )


def _start_rest(
    rt: Runtime,
    supervisor: Supervisor,
    ui: DagsterApi,
    ui_port: int,
    timeout: float,
    *,
    sim_seed: int | None,
) -> None:
    ops = rt.config.ops
    url = rt.config.db.resolved_url(rt.paths)
    upgrade_with_backup(rt.engine, url, ops.backups(rt.paths), ops.backup_keep, rt.clock)
    fill_history(rt, supervisor, sim_seed=sim_seed)  # before the daemon: checks see the history
    metrics_port = free_port()  # the sidecar's /metrics (Prometheus)
    sidecar_env = {"KRAKKED_OPS__SIDECAR_METRICS_PORT": str(metrics_port)}
    supervisor.start(Component("sidecar", krakked_argv("sidecar"), env=sidecar_env))
    typer.echo(f"Sidecar metrics: http://{HOST}:{metrics_port}/metrics", err=True)
    home = prepare_dagster_home(rt.paths)
    code_port = free_port()
    supervisor.start(dagster.code_server(home, code_port))
    supervisor.wait_until_ready(
        dagster.CODE_SERVER, lambda: dagster.code_server_not_ready_because(code_port), timeout
    )
    workspace = dagster.write_workspace(home, code_port)
    supervisor.start(dagster.daemon(home, workspace))
    supervisor.start(dagster.webserver(home, workspace, ui_port))
    tolerance = rt.config.market_data.ws.stale_tolerance_seconds
    live = LiveStore(rt.engine, shared_clock(rt.engine, SystemClock()), tolerance)
    supervisor.wait_until_ready(
        "sidecar",
        lambda: None if live.data_status().ws_connected else "no live data published yet",
        timeout,
    )
    supervisor.wait_until_ready(dagster.WEBSERVER, ui.not_ready_because, timeout)


def _stop_all(rt: Runtime, supervisor: Supervisor, ui: DagsterApi) -> None:
    """Stop the daemon (no new runs), cancel in-flight runs, then stop the rest."""
    supervisor.stop(dagster.DAEMON)
    if supervisor.is_running(dagster.WEBSERVER):
        try:
            left = ui.cancel_in_flight_runs(CANCEL_RUNS_SECONDS)
        except DagsterApiError as exc:
            left = [f"unknown ({exc})"]
        if left:
            typer.echo(f"runs still in flight at shutdown: {', '.join(left)}", err=True)
    supervisor.stop()
    clear_active_venue(rt.paths)


def register(app: typer.Typer) -> None:
    app.command("up")(up)
