"""`krakked api [--host H] [--port P]`: serve the HTTP control plane (defaults from `ui`)."""

import ipaddress

import typer

from krakked_core.cli.common import EXIT_ERROR, Runtime, exit_on_error, runtime
from krakked_core.db import check_schema
from krakked_core.errors import SecretsError
from krakked_core.secrets import Credentials, load_credentials


def is_loopback(host: str) -> bool:
    """Whether ``host`` only accepts connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False


def api_cmd(
    host: str | None = typer.Option(None, "--host", help="Address to bind (default: ui.host)."),
    port: int | None = typer.Option(
        None, "--port", min=1, max=65535, help="Port (default: ui.port)."
    ),
) -> None:
    """Serve the control plane API (the panel and any tool talk to it)."""
    rt = runtime()
    ui = rt.config.ui
    bind = host or ui.host
    if not ui.auth.enabled and not is_loopback(bind):
        typer.echo(
            f"refused: binding {bind} with ui.auth.enabled false would let anyone on the network "
            "control Krakked; bind 127.0.0.1, or enable ui.auth with a token",
            err=True,
        )
        raise typer.Exit(EXIT_ERROR)
    # Imported here: FastAPI and uvicorn load only for the one command that serves.
    import uvicorn  # noqa: PLC0415

    from krakked_core.api import create_app  # noqa: PLC0415
    from krakked_core.control.compose import build_control_plane  # noqa: PLC0415

    with exit_on_error():
        check_schema(rt.engine)  # DatabaseVersionError says to run `krakked db upgrade`
        plane = build_control_plane(
            rt.config, rt.paths, rt.engine, _credentials(rt), clock=rt.clock
        )
    app = create_app(plane, ui)
    uvicorn.run(app, host=bind, port=port or ui.port, log_level="info", access_log=False)


def _credentials(rt: Runtime) -> Credentials | None:
    """The key, if one is given without asking (a server never prompts); None: read-only
    portfolio, and no live mode."""
    if rt.demo:
        return rt.credentials()
    try:
        return load_credentials(rt.paths)
    except SecretsError as exc:
        typer.echo(f"no API credentials ({exc}): live mode cannot be switched on", err=True)
        return None


def register(app: typer.Typer) -> None:
    app.command("api")(api_cmd)
