"""`krakked db upgrade|status|backup|restore|check`."""

from pathlib import Path

import typer

from krakked_core.cli.common import Runtime, command_clock, exit_on_error, print_json, runtime
from krakked_core.db import current_revisions, head_revisions
from krakked_core.db.backup import backup_database, check_backup, restore_database
from krakked_core.db.check import check_database
from krakked_core.db.safe_upgrade import upgrade_with_backup
from krakked_core.running import holding_running_lock

db_app = typer.Typer(help="Manage the app database: schema, backups, checks.", no_args_is_help=True)


def _url(rt: Runtime) -> str:
    return rt.config.db.resolved_url(rt.paths)


def _where(rt: Runtime) -> str:
    if rt.config.db.url is None:
        return f"the database {rt.paths.default_db_file}"
    return "the database at db.url"


@db_app.command("upgrade")
def upgrade_cmd(ctx: typer.Context) -> None:
    """Apply schema migrations up to this code's version (a backup is taken first)."""
    rt = runtime(command_clock(ctx))
    with exit_on_error():
        ops = rt.config.ops
        backup = upgrade_with_backup(
            rt.engine, _url(rt), ops.backups(rt.paths), ops.backup_keep, rt.clock
        )
    if backup is not None:
        typer.echo(f"backup before upgrading: {backup}")
    typer.echo(f"database at schema {', '.join(sorted(head_revisions()))}")


@db_app.command("status")
def status_cmd() -> None:
    """Show the database's schema version and this code's."""
    rt = runtime()
    with exit_on_error():
        current = ", ".join(sorted(current_revisions(rt.engine))) or "empty"
    typer.echo(f"database: {current}; code: {', '.join(sorted(head_revisions()))}")


@db_app.command("backup")
def backup_cmd(
    ctx: typer.Context, json_output: bool = typer.Option(False, "--json", help="Print JSON.")
) -> None:
    """Write a compressed backup into the backups dir (keeping the newest ops.backup_keep)."""
    rt = runtime(command_clock(ctx))
    ops = rt.config.ops
    with exit_on_error():
        path = backup_database(_url(rt), ops.backups(rt.paths), ops.backup_keep, rt.clock)
    if json_output:
        print_json({"path": str(path)})
    else:
        typer.echo(str(path))


@db_app.command("restore")
def restore_cmd(
    file: Path = typer.Argument(..., help="A backup written by `krakked db backup`."),
    yes: bool = typer.Option(False, "--yes", help="Do not ask to confirm."),
) -> None:
    """Replace the database with a backup (Krakked must be stopped; the file is checked first)."""
    rt = runtime()
    with exit_on_error(), holding_running_lock(rt.paths, "restore"):
        checked = check_backup(file)
        schema = ", ".join(sorted(checked.schema.current))
        typer.echo(f"{file}: a {checked.backend} backup at schema {schema}, intact")
        if not yes and not typer.confirm(f"Replace everything in {_where(rt)} with it?"):
            typer.echo("nothing restored")
            raise typer.Exit(1)
        rt.engine.dispose()
        restore_database(_url(rt), file)
    behind = checked.schema.status != "current"
    typer.echo(
        "restored" + ("; run `krakked db upgrade` before starting Krakked" if behind else "")
    )


@db_app.command("check")
def check_cmd(json_output: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Check integrity, schema revision and row counts; exit 1 when any check fails."""
    rt = runtime()
    with exit_on_error():
        report = check_database(rt.engine)
    if json_output:
        print_json(report.to_json())
    else:
        typer.echo(f"integrity: {report.integrity}")
        typer.echo(f"schema: {report.schema.status} ({', '.join(sorted(report.schema.current))})")
        for name, count in report.row_counts.items():
            typer.echo(f"  {name}: {count}")
        for problem in report.problems():
            typer.echo(f"problem: {problem}", err=True)
    if not report.ok:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
