"""`krakked setup` and `krakked credentials status`: the API key, validated and stored encrypted."""

import os
from typing import NoReturn

import typer

from krakked_core.cli.common import exit_on_error, print_json, runtime
from krakked_core.connection import NO_RETRY, build_rest_client
from krakked_core.errors import NoCredentialsError, SecretsError
from krakked_core.secrets import (
    API_KEY_VAR,
    API_SECRET_VAR,
    MASTER_PASSWORD_VAR,
    BalanceReader,
    Credentials,
    ValidationOutcome,
    ValidationStatus,
    credentials_from_env,
    load_credentials,
    save_credentials,
    validate_credentials,
)

EXIT_AUTH_FAILED = 2
EXIT_UNREACHABLE = 3

credentials_app = typer.Typer(help="Inspect the stored API credentials.", no_args_is_help=True)


def setup(
    non_interactive: bool = typer.Option(
        False,
        "--non-interactive",
        help=f"Read {API_KEY_VAR}, {API_SECRET_VAR} and {MASTER_PASSWORD_VAR} instead of asking.",
    ),
    save_unvalidated: bool = typer.Option(
        False,
        "--save-unvalidated",
        help="If Kraken cannot be reached, save the key anyway, marked unvalidated.",
    ),
) -> None:
    """Enter the Kraken API key, check it with a read-only call, and save it encrypted."""
    rt = runtime()
    with exit_on_error():
        credentials, password = _read_inputs(non_interactive)
    # Setup fails fast on a network problem: the operator decides whether to retry.
    client = build_rest_client(rt.config, rt.paths, credentials, retry=NO_RETRY)
    outcome = validate_credentials(client)
    if outcome.status is ValidationStatus.AUTH_FAILED:
        _auth_failed(outcome)
    if outcome.status is ValidationStatus.UNREACHABLE and not save_unvalidated:
        if non_interactive:
            typer.echo(
                f"Network or service problem: {outcome.message}. Nothing was saved. Retry "
                "later, or run `krakked setup --save-unvalidated` to save the key marked "
                "unvalidated.",
                err=True,
            )
            raise typer.Exit(EXIT_UNREACHABLE)
        outcome = _retry_or_save_unvalidated(client, outcome)
    with exit_on_error():
        path = save_credentials(rt.paths, credentials, password, validated=outcome.validated)
    if outcome.validated:
        typer.echo(f"Credentials validated and saved to {path}.")
    else:
        typer.echo(
            f"Warning: {outcome.message}. Credentials saved UNVALIDATED to {path}.", err=True
        )
    if credentials_from_env(os.environ) is not None and not non_interactive:
        typer.echo(f"Note: {API_KEY_VAR}/{API_SECRET_VAR} are set and take precedence.", err=True)


def _auth_failed(outcome: ValidationOutcome) -> NoReturn:
    typer.echo(f"Authentication failed: {outcome.message} Nothing was saved.", err=True)
    raise typer.Exit(EXIT_AUTH_FAILED)


def _retry_or_save_unvalidated(
    client: BalanceReader, outcome: ValidationOutcome
) -> ValidationOutcome:
    """Ask until Kraken answers or the operator chooses; keep what was typed meanwhile.

    Return the outcome to save (validated, or unreachable when saving unvalidated was chosen);
    exit 2 if a retry shows the key is refused, exit 3 if both retrying and saving are declined.
    """
    while outcome.status is ValidationStatus.UNREACHABLE:
        typer.echo(f"Network or service problem: {outcome.message}.", err=True)
        if not typer.confirm("Kraken could not be reached. Retry now?", default=True):
            break
        outcome = validate_credentials(client)
    if outcome.status is ValidationStatus.AUTH_FAILED:
        _auth_failed(outcome)
    if outcome.validated or typer.confirm("Save it marked unvalidated?", default=False):
        return outcome
    typer.echo("Nothing was saved. Run `krakked setup` again when Kraken can be reached.", err=True)
    raise typer.Exit(EXIT_UNREACHABLE)


def _read_inputs(non_interactive: bool) -> tuple[Credentials, str]:
    if non_interactive:
        names = (API_KEY_VAR, API_SECRET_VAR, MASTER_PASSWORD_VAR)
        missing = [name for name in names if not os.environ.get(name, "").strip()]
        if missing:
            raise SecretsError(f"--non-interactive needs {', '.join(missing)} to be set")
        key, secret, password = (os.environ[name] for name in names)
    else:
        key = typer.prompt("Kraken API key", hide_input=True)
        secret = typer.prompt("Kraken API secret", hide_input=True)
        password = typer.prompt(
            "Master password (encrypts the key on disk)", hide_input=True, confirmation_prompt=True
        )
    if not password:
        raise SecretsError("the master password must not be empty")
    return Credentials.of(key, secret), password


@credentials_app.command("status")
def status(
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Say where the credentials come from and whether they were validated (never the key)."""
    rt = runtime()
    with exit_on_error():
        try:
            credentials: Credentials | None = load_credentials(
                rt.paths, password_prompt=_prompt_master_password
            )
        except NoCredentialsError:
            credentials = None
    source = credentials.source if credentials else "none"
    validated = credentials.validated if credentials else None
    if as_json:
        print_json({"source": source, "validated": validated})
        return
    typer.echo(f"source: {source}")
    typer.echo(f"validated: {_describe(credentials)}")


def _prompt_master_password() -> str:
    password: str = typer.prompt("Master password", hide_input=True)
    return password


def _describe(credentials: Credentials | None) -> str:
    if credentials is None or credentials.validated is None:
        return "unknown"
    if not credentials.validated:
        return "no (saved unvalidated)"
    when = credentials.validated_at.isoformat() if credentials.validated_at else "unknown time"
    return f"yes ({when})"


def register(app: typer.Typer) -> None:
    app.command("setup")(setup)
    app.add_typer(credentials_app, name="credentials")
