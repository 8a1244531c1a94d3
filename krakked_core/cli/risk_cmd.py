"""`krakked risk status|evaluate`: the risk state now, and the risk engine on a scenario file."""

import json
from pathlib import Path
from typing import Any

import typer

from krakked_core.cli.common import exit_on_error, print_json, runtime
from krakked_core.cli.cycle_cmd import engine_for
from krakked_core.errors import ConfigError
from krakked_core.risk.scenario import evaluate_scenario
from krakked_core.risk.views import risk_status_json

risk_app = typer.Typer(
    help="Risk state and what-if evaluation of risk limits.", no_args_is_help=True
)

_JSON = typer.Option(False, "--json", help="Print JSON (numbers as decimal strings).")


@risk_app.command("status")
def status_cmd(as_json: bool = _JSON) -> None:
    """Kill switch, drawdown, drift and exposures now (from the stored books; no sync)."""
    rt = runtime()
    with exit_on_error():
        data = risk_status_json(engine_for(rt).get_risk_status())
    if as_json:
        print_json(data)
        return
    for key, value in data.items():
        typer.echo(f"{key:28} {value}")


@risk_app.command("evaluate")
def evaluate_cmd(
    scenario: Path = typer.Argument(..., help="A scenario JSON file (see `krakked risk --help`)."),
    as_json: bool = _JSON,
) -> None:
    """Run the risk engine alone on a scenario: positions, bars, equity history and intents."""
    rt = runtime()
    with exit_on_error():
        result = evaluate_scenario(_read(scenario), rt.config).to_json()
    if as_json:
        print_json(result)
        return
    for action in result["actions"]:
        state = "BLOCKED " + ",".join(action["blocked_reasons"]) if action["blocked"] else "ok"
        typer.echo(
            f"{action['pair']:10} {action['action_type']:8} {action['target_base_size']} [{state}]"
        )
    typer.echo(f"kill switch active: {result['risk_status']['kill_switch_active']}")


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such scenario file") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: not valid JSON: {exc.msg} at line {exc.lineno}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a scenario is a JSON object (now, equity_usd, intents …)")
    return data


def register(app: typer.Typer) -> None:
    app.add_typer(risk_app, name="risk")
