"""`krakked kill-switch on|off|status`: the manual kill switch in the app DB's control state."""

import typer

from krakked_core.cli.common import EXIT_ERROR, Runtime, exit_on_error, print_json, runtime
from krakked_core.clock import SystemClock
from krakked_core.control_state import KILL_SWITCH_OFF_PHRASE, ControlStateStore
from krakked_core.db import check_schema
from krakked_core.strategy.decision_views import kill_switch_json

kill_switch_app = typer.Typer(
    help="Stop (or allow again) every new position: reduce and close stay allowed.",
    no_args_is_help=True,
)

_JSON = typer.Option(False, "--json", help="Print JSON.")


def _store(rt: Runtime) -> ControlStateStore:
    check_schema(rt.engine)  # DatabaseVersionError says to run `krakked db upgrade`
    return ControlStateStore(rt.engine, SystemClock())


def _set(active: bool, reason: str, as_json: bool, done: str) -> None:
    rt = runtime()
    with exit_on_error():
        state = _store(rt).set_kill_switch(active, reason=reason, source="cli")
    if as_json:
        print_json(kill_switch_json(state))
    else:
        typer.echo(done)


@kill_switch_app.command("on")
def on_cmd(
    reason: str = typer.Option("", "--reason", help="Why, for the history and the logs."),
    as_json: bool = _JSON,
) -> None:
    """Turn the kill switch on now (no confirmation: stopping is always safe)."""
    _set(True, reason, as_json, "kill switch ON: no new positions will be opened or increased")


@kill_switch_app.command("off")
def off_cmd(
    confirm: str = typer.Option(
        "", "--confirm", help=f'Type "{KILL_SWITCH_OFF_PHRASE}" to clear the kill switch.'
    ),
    reason: str = typer.Option("", "--reason", help="Why, for the history and the logs."),
    as_json: bool = _JSON,
) -> None:
    """Clear the manual kill switch (drift and drawdown still stop trading on their own)."""
    if confirm != KILL_SWITCH_OFF_PHRASE:
        typer.echo(f'refused: pass --confirm "{KILL_SWITCH_OFF_PHRASE}" exactly', err=True)
        raise typer.Exit(EXIT_ERROR)
    _set(False, reason, as_json, "kill switch OFF (manual); drift and drawdown checks still apply")


@kill_switch_app.command("status")
def status_cmd(as_json: bool = _JSON) -> None:
    """Show the manual kill switch and when and why it last changed."""
    rt = runtime()
    with exit_on_error():
        state = _store(rt).kill_switch()
    data = kill_switch_json(state)
    if as_json:
        print_json(data)
        return
    typer.echo(f"manual kill switch {'ON' if state.active else 'off'}")
    if state.changed_at is not None:
        typer.echo(f"since {data['changed_at']} ({state.source}): {state.reason or '-'}")


def register(app: typer.Typer) -> None:
    app.add_typer(kill_switch_app, name="kill-switch")
