"""`krakked decisions [--limit N] [--json]`: the newest decision records."""

import typer

from krakked_core.cli.common import exit_on_error, print_json, runtime
from krakked_core.db import check_schema
from krakked_core.strategy.decision_store import DecisionStore
from krakked_core.strategy.decision_views import decision_json


def decisions_cmd(
    limit: int = typer.Option(20, "--limit", min=1, help="How many, newest first."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show the newest decision cycles: counts, kill switch, notes."""
    rt = runtime()
    with exit_on_error():
        check_schema(rt.engine)
        rows = [decision_json(r) for r in DecisionStore(rt.engine).recent(limit)]
    if as_json:
        print_json(rows)
        return
    for row in rows:
        typer.echo(
            f"{row['time']} {row['timeframe']:4} {row['strategy_intents_count']} intents "
            f"{row['actions_count']} actions {row['blocked_actions_count']} blocked "
            f"{'KILL SWITCH ' if row['kill_switch_active'] else ''}{row['notes']}"
        )


def register(app: typer.Typer) -> None:
    app.command("decisions")(decisions_cmd)
