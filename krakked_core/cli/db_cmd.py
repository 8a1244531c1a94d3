"""`krakked db upgrade|status`."""

import typer

from krakked_core.cli.common import exit_on_error, runtime
from krakked_core.db import current_revisions, head_revisions, upgrade

db_app = typer.Typer(help="Manage the app database schema.", no_args_is_help=True)


@db_app.command("upgrade")
def upgrade_cmd() -> None:
    """Apply schema migrations up to this code's version."""
    rt = runtime()
    with exit_on_error():
        upgrade(rt.engine)
    typer.echo(f"database at schema {', '.join(sorted(head_revisions()))}")


@db_app.command("status")
def status_cmd() -> None:
    """Show the database's schema version and this code's."""
    rt = runtime()
    with exit_on_error():
        current = ", ".join(sorted(current_revisions(rt.engine))) or "empty"
    typer.echo(f"database: {current}; code: {', '.join(sorted(head_revisions()))}")


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
