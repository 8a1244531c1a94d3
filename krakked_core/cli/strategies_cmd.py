"""`krakked strategies [--json]`: every configured strategy, its positions, PnL and activity."""

import typer

from krakked_core.cli.common import exit_on_error, print_json, runtime
from krakked_core.cli.cycle_cmd import engine_for
from krakked_core.strategy.decision_views import strategy_state_json


def strategies_cmd(
    as_json: bool = typer.Option(False, "--json", help="Print JSON (money as decimal strings)."),
) -> None:
    """List the configured strategies (Phase 6 §4.4 shape with --json)."""
    rt = runtime()
    with exit_on_error():
        rows = [strategy_state_json(s) for s in engine_for(rt).get_strategy_state()]
    if as_json:
        print_json(rows)
        return
    for row in rows:
        typer.echo(
            f"{row['id']:24} {row['type']:16} {'on ' if row['enabled'] else 'off'} "
            f"{','.join(row['timeframes']):10} positions {row['current_positions']} "
            f"last intents {row['last_intents_at'] or '-'}"
        )


def register(app: typer.Typer) -> None:
    app.command("strategies")(strategies_cmd)
