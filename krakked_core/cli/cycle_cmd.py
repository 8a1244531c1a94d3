"""`krakked cycle --timeframe 1h [--at ISO] [--json]`: one decision cycle now, printed."""

from datetime import UTC, datetime

import typer

from krakked_core.cli.common import (
    EXIT_ERROR,
    Runtime,
    command_clock,
    exit_on_error,
    print_json,
    runtime,
    timeframe_option,
)
from krakked_core.db import check_schema
from krakked_core.errors import NoCredentialsError
from krakked_core.model.market import TIMEFRAMES
from krakked_core.secrets import Credentials
from krakked_core.strategy.cycle import compose_engine, run_decision_cycle
from krakked_core.strategy.decision_views import plan_json
from krakked_core.strategy.engine import StrategyRiskEngine


def engine_for(rt: Runtime, credentials: Credentials | None = None) -> StrategyRiskEngine:
    """The engine on the app DB (DatabaseVersionError says to run `krakked db upgrade`)."""
    check_schema(rt.engine)
    return compose_engine(rt.config, rt.paths, rt.engine, credentials, clock=rt.clock)


def cycle_cmd(
    ctx: typer.Context,
    timeframe: str = typer.Option(..., "--timeframe", help=f"The candle: {', '.join(TIMEFRAMES)}."),
    at: str | None = typer.Option(
        None, "--at", help="Decide on the candle closed at this ISO time (default: now)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (money as decimal strings)."),
) -> None:
    """Run one decision cycle (the one the candle-close sensor starts) and store its plan."""
    tf = timeframe_option(timeframe, exit_code=EXIT_ERROR)
    clock = command_clock(ctx)
    when = _parse_at(at, clock.now())
    rt = runtime(clock)
    with exit_on_error():
        engine = engine_for(rt, _credentials(rt))
        plan = run_decision_cycle(engine, tf, when)
    data = plan_json(plan)
    if as_json:
        print_json(data)
        return
    typer.echo(
        f"plan {plan.plan_id} {plan.timeframe} @ {data['generated_at']}: "
        f"{len(plan.intents)} intents, {len(plan.actions)} actions, {plan.blocked_count} blocked"
    )
    for action in data["actions"]:
        state = "BLOCKED" if action["blocked"] else ("clamped" if action["clamped"] else "ok")
        typer.echo(
            f"  {action['pair']:10} {action['action_type']:8} → {action['target_base_size']} "
            f"(${action['target_notional_usd']}) [{state}] {action['reason']}"
        )
    for note in plan.metadata.get("notes", ()):
        typer.echo(f"  note: {note}")


def _parse_at(text: str | None, now: datetime) -> datetime:
    if text is None:
        return now
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        typer.echo(f"--at: {text!r} is not an ISO 8601 time", err=True)
        raise typer.Exit(EXIT_ERROR) from None
    if when.tzinfo is None:
        typer.echo(f"--at: {text!r} needs a timezone (e.g. 2026-03-02T14:00Z)", err=True)
        raise typer.Exit(EXIT_ERROR)
    if when > now:
        typer.echo(f"--at: {text!r} is in the future: no candle has closed then yet", err=True)
        raise typer.Exit(EXIT_ERROR)
    return when.astimezone(UTC)


def _credentials(rt: Runtime) -> Credentials | None:
    try:
        return rt.credentials()
    except NoCredentialsError:
        typer.echo(
            "no API credentials: the portfolio cannot sync, nothing will be opened", err=True
        )
        return None


def register(app: typer.Typer) -> None:
    app.command("cycle")(cycle_cmd)
