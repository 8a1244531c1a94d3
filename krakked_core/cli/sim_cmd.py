"""`krakked sim`: the sandbox exchange on loopback; `krakked sim export-archive DIR`.

Once the sandbox accepts connections, one JSON line goes to stdout:
``{"rest_url": ..., "ws_url": ..., "api_key": ...}`` — never the secret, which lives 0600 in
``<data dir>/sim/credentials.json`` when the sandbox generated it.
"""

import json
import os
import signal
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Literal

import typer

from krakked_core.cli.common import exit_on_error
from krakked_core.errors import ConfigError
from krakked_core.log import SECRET_SCRUBBER, configure_logging
from krakked_core.paths import AppPaths

sim_app = typer.Typer(invoke_without_command=True)  # its help is the callback's docstring

Tier = Literal["starter", "intermediate", "pro", "none"]
TIERS: tuple[Tier, ...] = ("starter", "intermediate", "pro", "none")


def credentials_file(paths: AppPaths) -> Path:
    return paths.sim_dir / "credentials.json"


def load_or_create_credentials(path: Path) -> tuple[str, str]:
    """Reuse the sandbox's generated key pair, or generate one and write it 0600."""
    from krakked_core.sim.auth import generate_key_pair  # noqa: PLC0415 - keep --help light

    if path.exists():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return str(data["api_key"]), str(data["api_secret"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"{path} is not a sandbox credentials file: {exc}") from None
    key, secret = generate_key_pair()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump({"api_key": key, "api_secret": secret}, handle)
    tmp.replace(path)
    path.chmod(0o600)
    return key, secret


@sim_app.callback()
def sim(  # noqa: PLR0917 - typer maps every option to a parameter
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", help="Address to listen on (keep it loopback)."),
    port: int = typer.Option(0, help="Port for REST and WebSocket; 0 picks a free one."),
    seed: int = typer.Option(0, help="Seed of the price paths: one seed, one market."),
    history_days: int = typer.Option(30, help="Days of 1-minute history before start."),
    api_key: str | None = typer.Option(
        None, envvar="KRAKKED_SIM_API_KEY", help="Use this API key (with --api-secret)."
    ),
    api_secret: str | None = typer.Option(
        None,
        envvar="KRAKKED_SIM_API_SECRET",
        show_envvar=True,
        help="Use this API secret (base64); the variable keeps it out of `ps`.",
    ),
    tier: str = typer.Option(
        "intermediate", help="Rate-limit tier: starter|intermediate|pro|none."
    ),
    faults: Path | None = typer.Option(None, help="Fault profile (YAML or JSON)."),
    state: Path | None = typer.Option(None, help="State file (default <data dir>/sim/state.json)."),
    markets: Path | None = typer.Option(None, help="Market list (YAML or JSON) to use instead."),
    replay: Path | None = typer.Option(
        None, help="Replay a 1-minute Kraken OHLCVT CSV (e.g. XBTUSD_1.csv) for its pair."
    ),
    spread_bps: str | None = typer.Option(None, help="Bid/ask spread in basis points (default 5)."),
    balance: list[str] | None = typer.Option(
        None,
        help="Starting balance ASSET=AMOUNT, repeatable (default ZUSD=100000); a new state only.",
    ),
    now: str | None = typer.Option(
        None, help="Start the clock here (ISO 8601 or epoch seconds); it runs on from there."
    ),
    print_credentials: bool = typer.Option(
        False, "--print-credentials", help="Show where the generated credentials are, and exit."
    ),
) -> None:
    """The sandbox exchange: a Kraken-compatible REST + WebSocket v2 exchange on loopback.

    Runs until SIGTERM/SIGINT. State is saved at most about once a second while running and
    always on SIGTERM/SIGINT, so a crash loses at most the last second.

    Control routes, answered on loopback only (JSON bodies; 422 on a bad body):

    \b
      GET|POST /sim/faults  read or replace the fault profile
      POST /sim/deposit     {"asset": "ZUSD", "amount": "100"}: a deposit ledger row
      POST /sim/withdraw    {"asset": "ZUSD", "amount": "100"}: a withdrawal ledger row
      POST /sim/reward      {"asset": "DOT", "amount": "0.5"}: a staking reward (DOT.S)
      POST /sim/order       {"pair", "side", "ordertype", "volume", "price"?}: a manual order
      POST /sim/keys        {"read_only": true} -> {"api_key", "api_secret"}: a new key pair
      GET  /sim/health
    """
    if ctx.invoked_subcommand is not None:
        return
    paths = AppPaths.from_env().ensure()
    with exit_on_error():
        configure_logging()
        if print_credentials:
            _print_credentials(paths)
            return
        if tier not in TIERS:
            raise ConfigError(f"--tier must be one of {', '.join(TIERS)}, not {tier!r}")
        settings_args: dict[str, object] = {
            "seed": seed,
            "history_days": history_days,
            "tier": tier,
            "state_file": state or paths.sim_dir / "state.json",
            "markets_file": markets,
            "replay_ohlc_file": replay,
        }
        if spread_bps is not None:
            settings_args["spread_bps"] = spread_bps
        if balance:
            settings_args["starting_balances"] = parse_balances(balance)
        start = parse_now(now) if now is not None else None
        key, secret = _credentials(paths, api_key, api_secret)
        _serve(
            paths,
            host=host,
            port=port,
            settings_args=settings_args,
            faults_file=faults,
            key=key,
            secret=secret,
            now=start,
        )


def parse_now(text: str) -> datetime:
    """``--now``: ISO 8601 (UTC when it has no offset) or epoch seconds; ConfigError otherwise."""
    try:
        return datetime.fromtimestamp(float(text), tz=UTC)
    except (ValueError, OverflowError, OSError):
        pass
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise ConfigError(
            f"--now takes an ISO 8601 time or epoch seconds (e.g. 2026-03-02T12:00:00Z), "
            f"not {text!r}"
        ) from None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def parse_balances(items: list[str]) -> dict[str, str]:
    """``["ZUSD=100000"]`` → ``{"ZUSD": "100000"}``; ConfigError when an item is malformed."""
    balances: dict[str, str] = {}
    for item in items:
        asset, sep, amount = item.partition("=")
        if not sep or not asset.strip() or not amount.strip():
            raise ConfigError(f"--balance takes ASSET=AMOUNT (e.g. ZUSD=100000), not {item!r}")
        balances[asset.strip()] = amount.strip()
    return balances


def _credentials(paths: AppPaths, api_key: str | None, api_secret: str | None) -> tuple[str, str]:
    if api_key is not None and api_secret is not None:
        return api_key, api_secret
    if api_key is not None or api_secret is not None:
        raise ConfigError("give --api-key and --api-secret together, or neither")
    return load_or_create_credentials(credentials_file(paths))


def _print_credentials(paths: AppPaths) -> None:
    path = credentials_file(paths)
    info: dict[str, str | None] = {"credentials_file": str(path), "api_key": None}
    if path.exists():
        info["api_key"], _ = load_or_create_credentials(path)
    typer.echo(json.dumps(info))


def _serve(
    paths: AppPaths,
    *,
    host: str,
    port: int,
    settings_args: dict[str, object],
    faults_file: Path | None,
    key: str,
    secret: str,
    now: datetime | None,
) -> None:
    from krakked_core.sim import FaultProfile, SandboxExchange, SimSettings  # noqa: PLC0415
    from krakked_core.sim.errors import SimError  # noqa: PLC0415

    SECRET_SCRUBBER.register(secret)
    paths.sim_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    profile = FaultProfile.from_file(faults_file) if faults_file else None
    try:
        settings = SimSettings.model_validate(settings_args)
    except ValueError as exc:
        raise ConfigError(f"sandbox settings: {exc}") from None
    try:
        sandbox = SandboxExchange(
            settings,
            host=host,
            port=port,
            faults=profile,
            api_key=key,
            api_secret=secret,
            now=now,
        )
    except SimError as exc:  # e.g. --balance naming an asset the market list does not have
        raise ConfigError(f"sandbox settings: {exc.kraken_error}") from None
    stop = threading.Event()

    def request_stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    # SIGTERM/SIGINT only end the wait below: leaving the with-block stops the stepper and the
    # server, then writes the state file (SandboxExchange.stop flushes the debounced save).
    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    with sandbox:
        announcement = {"rest_url": sandbox.rest_url, "ws_url": sandbox.ws_url, "api_key": key}
        sys.stdout.write(json.dumps(announcement) + "\n")
        sys.stdout.flush()
        while not stop.wait(0.5):
            pass


@sim_app.command("export-archive")
def export_archive_cmd(
    out_dir: Path = typer.Argument(..., help="Directory for the CSV files."),
    seed: int = typer.Option(0, help="Seed of the price paths."),
    history_days: int = typer.Option(30, help="Days of history to write."),
    markets: Path | None = typer.Option(None, help="Market list (YAML or JSON) to use instead."),
    now: str | None = typer.Option(
        None, help="End the history here (ISO 8601 or epoch seconds) instead of at the real now."
    ),
) -> None:
    """Write the sandbox's history as Kraken's OHLCVT archives (one CSV per pair and interval)."""
    from krakked_core.sim.archive import export_archive  # noqa: PLC0415
    from krakked_core.sim.settings import SimSettings  # noqa: PLC0415

    with exit_on_error():
        configure_logging()
        settings = SimSettings(seed=seed, history_days=history_days, markets_file=markets)
        until = parse_now(now) if now is not None else datetime.now(UTC)
        out_dir.mkdir(parents=True, exist_ok=True)
        written = export_archive(settings, out_dir, until)
        typer.echo(json.dumps({"out_dir": str(out_dir), "files": len(written)}))


def register(app: typer.Typer) -> None:
    app.add_typer(sim_app, name="sim")
