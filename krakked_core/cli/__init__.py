"""`krakked`: the operator's command line. Each area registers its commands from its own module."""

import typer

from krakked_core.cli import (
    api_cmd,
    config_cmd,
    credentials_cmd,
    cycle_cmd,
    db_cmd,
    decisions_cmd,
    kill_switch_cmd,
    live_cmd,
    market_cmd,
    panel_cmd,
    portfolio_cmd,
    risk_cmd,
    sim_cmd,
    strategies_cmd,
    up_cmd,
)

app = typer.Typer(
    name="krakked",
    help="Krakked: a self-hosted trading system for Kraken spot markets.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

for module in (
    config_cmd,
    db_cmd,
    credentials_cmd,
    sim_cmd,
    live_cmd,
    market_cmd,
    portfolio_cmd,
    kill_switch_cmd,
    cycle_cmd,
    risk_cmd,
    strategies_cmd,
    decisions_cmd,
    up_cmd,
    api_cmd,
    panel_cmd,
):
    module.register(app)


def main() -> None:
    """Console-script entry point."""
    app()
