"""`krakked panel [--port P] [--api-url URL]`: run the Streamlit panel on the control plane API.

The panel gets the API's URL, the token and the refresh intervals through its environment
(``KRAKKED_PANEL_*``), never on a command line (where `ps` shows it) and never in a log. The
panel has no login of its own (it acts with the token), so it listens on loopback only.
"""

import importlib.util
import os
import sys
from collections.abc import Mapping
from pathlib import Path

import typer

from krakked_core.cli.common import EXIT_ERROR, runtime
from krakked_core.config import UiConfig

PANEL_HOST = "127.0.0.1"
DEFAULT_PORT = 8501

# The names streamlit_app/components/context.py reads (it cannot be imported from here:
# krakked_core never imports streamlit).
ENV_API_URL = "KRAKKED_PANEL_API_URL"
ENV_TOKEN = "KRAKKED_PANEL_TOKEN"  # noqa: S105 - the variable's name, not a token
ENV_DASHBOARD_MS = "KRAKKED_PANEL_DASHBOARD_MS"
ENV_ORDERS_MS = "KRAKKED_PANEL_ORDERS_MS"
ENV_STRATEGIES_MS = "KRAKKED_PANEL_STRATEGIES_MS"

_ANY_ADDRESS = frozenset({"0.0.0.0", "::", ""})  # noqa: S104 - recognised, not bound


def api_url_of(ui: UiConfig) -> str:
    """Where `krakked api` listens by ``ui`` (an any-address bind is reached on loopback)."""
    host = PANEL_HOST if ui.host in _ANY_ADDRESS else ui.host
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{ui.port}{ui.base_path.rstrip('/')}"


def panel_environment(base: Mapping[str, str], ui: UiConfig, api_url: str) -> dict[str, str]:
    """``base`` plus what the panel reads: the API URL, the token (if auth is on), intervals."""
    env = {k: v for k, v in base.items() if k != ENV_TOKEN}
    env[ENV_API_URL] = api_url
    if ui.auth.enabled:
        env[ENV_TOKEN] = ui.auth.token.get_secret_value()
    intervals = ui.refresh_intervals
    env[ENV_DASHBOARD_MS] = str(intervals.dashboard_ms)
    env[ENV_ORDERS_MS] = str(intervals.orders_ms)
    env[ENV_STRATEGIES_MS] = str(intervals.strategies_ms)
    env["STREAMLIT_BROWSER_GATHER_USAGE_STATS"] = "false"
    return env


def panel_command(app: Path, port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app),
        "--server.address",
        PANEL_HOST,
        "--server.port",
        str(port),
        "--server.headless",
        "true",
    ]


def _app_script() -> Path:
    spec = importlib.util.find_spec("streamlit_app")  # found, not imported
    if spec is None or spec.origin is None:
        typer.echo("the panel (streamlit_app) is not installed next to krakked_core", err=True)
        raise typer.Exit(EXIT_ERROR)
    return Path(spec.origin).parent / "app.py"


def panel_cmd(
    port: int = typer.Option(DEFAULT_PORT, "--port", min=1, max=65535, help="Panel's port."),
    api_url: str | None = typer.Option(
        None, "--api-url", help="The control plane API (default: from ui.host, ui.port)."
    ),
) -> None:
    """Run the panel (Streamlit) on 127.0.0.1, talking to the control plane API."""
    rt = runtime()
    ui = rt.config.ui
    url = api_url or api_url_of(ui)
    typer.echo(f"panel on http://{PANEL_HOST}:{port}, API at {url}")
    # The panel replaces this process (exec): a stop signal sent to `krakked panel` reaches
    # Streamlit itself, so no orphaned server is left behind.
    command = panel_command(_app_script(), port)
    os.execve(command[0], command, panel_environment(os.environ, ui, url))  # noqa: S606


def register(app: typer.Typer) -> None:
    app.command("panel")(panel_cmd)
