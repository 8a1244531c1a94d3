"""`krakked sidecar` (the live WebSocket cache) and `krakked data-status`."""

from contextlib import AbstractContextManager, nullcontext

import typer

from krakked_core.cli.common import Runtime, exit_on_error, print_json, runtime
from krakked_core.clock import SystemClock
from krakked_core.connection import build_market_gateway
from krakked_core.db import check_schema
from krakked_core.db.server_clock import shared_clock
from krakked_core.loopback import HOST
from krakked_core.market_data.live_store import LiveStore
from krakked_core.metrics import Metrics
from krakked_core.metrics_state import MetricsServer, StateCollector, WsCollector, read_system_state
from krakked_core.sidecar import (
    Sidecar,
    fallback_market_gateway,
    resolve_pairs,
    run_sidecar,
    stored_universe,
)


def sidecar_cmd(
    pairs: str | None = typer.Option(
        None, "--pairs", help="Comma-separated canonical pairs (default: the stored universe)."
    ),
) -> None:
    """Stream live tickers and candles over WebSocket v2 into the app DB until stopped.

    Without --pairs it follows the stored universe, re-reading it every
    market_data.ws.universe_reload_seconds.
    """
    rt = runtime()
    clock = SystemClock()
    metrics = Metrics()
    with exit_on_error():
        check_schema(rt.engine)
        market = build_market_gateway(rt.config, rt.paths, clock=clock, metrics=metrics)
        explicit = [p.strip().upper() for p in pairs.split(",") if p.strip()] if pairs else None
        chosen = resolve_pairs(rt.engine, market, rt.config, explicit)
        tolerance = rt.config.market_data.ws.stale_tolerance_seconds
        store = LiveStore(rt.engine, shared_clock(rt.engine, clock), tolerance)
        sidecar = Sidecar(
            config=rt.config,
            store=store,
            pairs=chosen,
            clock=clock,
            rest=fallback_market_gateway(rt.config, rt.paths, clock, metrics),
            reload_pairs=None if explicit else stored_universe(rt.engine),
        )
        serving = _serve_metrics(rt, metrics, sidecar, store)
    typer.echo(
        f"sidecar streaming {len(chosen)} pair(s) from {rt.config.exchange.ws_url}", err=True
    )
    with serving:
        run_sidecar(sidecar)


def _serve_metrics(
    rt: Runtime, metrics: Metrics, sidecar: Sidecar, store: LiveStore
) -> AbstractContextManager[object]:
    """``/metrics`` on ``ops.sidecar_metrics_port`` (loopback), or nothing when it is unset."""
    port = rt.config.ops.sidecar_metrics_port
    if port is None:
        return nullcontext()
    clock = SystemClock()
    metrics.registry.register(StateCollector(lambda: read_system_state(rt.engine, clock, store)))
    metrics.registry.register(WsCollector(lambda: sidecar.ws_counters))
    return MetricsServer(metrics, HOST, port)


def data_status_cmd(
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show whether live data is flowing: connection, last message, fresh and stale pairs."""
    rt = runtime()
    with exit_on_error():
        check_schema(rt.engine)
        store = LiveStore(
            rt.engine,
            shared_clock(rt.engine, SystemClock()),
            rt.config.market_data.ws.stale_tolerance_seconds,
        )
        status = store.data_status()
    # ``stopped_loops`` appears only when a sidecar loop stopped: the usual report keeps its keys.
    data = status.model_dump(mode="json", exclude_defaults=True)
    if as_json:
        print_json(data)
        return
    for key, value in data.items():
        shown = ", ".join(value) if isinstance(value, list) else value
        typer.echo(f"{key}: {shown if shown not in ('', None) else '-'}")


def register(app: typer.Typer) -> None:
    app.command("sidecar")(sidecar_cmd)
    app.command("data-status")(data_status_cmd)
