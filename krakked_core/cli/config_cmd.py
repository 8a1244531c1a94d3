"""`krakked config show|validate`."""

from pathlib import Path

import typer
import yaml

from krakked_core.cli.common import exit_on_error, print_json, runtime
from krakked_core.config_loading import load_config_file

config_app = typer.Typer(help="Show or check configuration.", no_args_is_help=True)


@config_app.command("show")
def show(as_json: bool = typer.Option(False, "--json", help="Print JSON instead of YAML.")) -> None:
    """Print the effective configuration, every secret redacted, and where the venue came from."""
    rt = runtime()
    data = rt.config.redacted()
    typer.echo(f"exchange URLs from {rt.exchange_source}", err=True)
    if as_json:
        print_json(data)
    else:
        typer.echo(yaml.safe_dump(data, sort_keys=False).rstrip())


@config_app.command("validate")
def validate(path: Path = typer.Argument(..., help="The YAML file to check.")) -> None:
    """Check a config file without starting anything."""
    with exit_on_error():
        load_config_file(path)
    typer.echo(f"{path}: valid")


def register(app: typer.Typer) -> None:
    app.add_typer(config_app, name="config")
