"""`krakked setup` and `krakked credentials status` against a loopback Kraken."""

import json
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner, Result

from krakked_core.cli import app
from krakked_core.paths import AppPaths
from krakked_core.secrets import read_credentials_file
from tests.connection.conftest import TEST_KEY, TEST_SECRET
from tests.connection.loopback import (
    LoopbackKraken,
    Reply,
    kraken_error,
    loopback_kraken,
    ok,
    refused_url,
)

PASSWORD = "cli master password"


@pytest.fixture
def kraken(monkeypatch: pytest.MonkeyPatch) -> Iterator[LoopbackKraken]:
    with loopback_kraken() as server:
        monkeypatch.setenv("KRAKKED_EXCHANGE__REST_URL", server.url)
        yield server


@pytest.fixture
def script_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KRAKKED_API_KEY", TEST_KEY)
    monkeypatch.setenv("KRAKKED_API_SECRET", TEST_SECRET)
    monkeypatch.setenv("KRAKKED_MASTER_PASSWORD", PASSWORD)


def _run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(app, list(args), input=input)


def _status(monkeypatch: pytest.MonkeyPatch, password: str | None = PASSWORD) -> Result:
    """`credentials status --json` as a later process would run it: no key in the environment."""
    monkeypatch.delenv("KRAKKED_API_KEY", raising=False)
    monkeypatch.delenv("KRAKKED_API_SECRET", raising=False)
    if password is None:
        monkeypatch.delenv("KRAKKED_MASTER_PASSWORD", raising=False)
    else:
        monkeypatch.setenv("KRAKKED_MASTER_PASSWORD", password)
    return _run("credentials", "status", "--json")


def _assert_no_secret(result: Result) -> None:
    assert TEST_KEY not in result.output and TEST_SECRET not in result.output


@pytest.mark.usefixtures("script_env")
def test_setup_key_works_then_exit_0_and_saved_validated(
    kraken: LoopbackKraken, _isolated_dirs: AppPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    kraken.script("Balance", ok({"ZUSD": "10.0"}))

    result = _run("setup", "--non-interactive")

    assert result.exit_code == 0, result.output
    assert "validated and saved" in result.output
    saved = read_credentials_file(_isolated_dirs.secrets_file, PASSWORD)
    assert saved.api_key.get_secret_value() == TEST_KEY and saved.validated is True
    assert len(kraken.calls("Balance")) == 1
    _assert_no_secret(result)
    status = _status(monkeypatch)
    assert status.exit_code == 0, status.output
    assert json.loads(status.stdout) == {"source": "file", "validated": True}


@pytest.mark.usefixtures("script_env")
@pytest.mark.parametrize(
    "error", ["EAPI:Invalid key", "EAPI:Invalid signature", "EGeneral:Permission denied"]
)
def test_setup_key_rejected_then_exit_2_says_key_and_nothing_saved(
    kraken: LoopbackKraken, _isolated_dirs: AppPaths, error: str
) -> None:
    kraken.script("Balance", kraken_error(error))

    result = _run("setup", "--non-interactive", "--save-unvalidated")

    assert result.exit_code == 2, result.output
    assert "Authentication failed" in result.output and "API key" in result.output
    assert "Nothing was saved" in result.output
    assert not _isolated_dirs.secrets_file.exists()
    _assert_no_secret(result)


@pytest.mark.usefixtures("script_env")
def test_setup_kraken_unavailable_then_exit_3_suggests_save_unvalidated_and_nothing_saved(
    kraken: LoopbackKraken, _isolated_dirs: AppPaths
) -> None:
    kraken.script("Balance", Reply(503, "<html>maintenance</html>"))

    result = _run("setup", "--non-interactive")

    assert result.exit_code == 3, result.output
    assert "Network or service problem" in result.output
    assert "--save-unvalidated" in result.output
    assert "Authentication" not in result.output
    assert not _isolated_dirs.secrets_file.exists()
    assert len(kraken.calls("Balance")) == 1  # setup fails fast; the operator retries


@pytest.mark.usefixtures("script_env")
def test_setup_connection_refused_then_exit_3(
    _isolated_dirs: AppPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KRAKKED_EXCHANGE__REST_URL", refused_url())

    result = _run("setup", "--non-interactive")

    assert result.exit_code == 3, result.output
    assert not _isolated_dirs.secrets_file.exists()


@pytest.mark.usefixtures("script_env")
def test_setup_unreachable_with_save_unvalidated_then_saved_marked_unvalidated(
    kraken: LoopbackKraken, _isolated_dirs: AppPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    kraken.script("Balance", kraken_error("EService:Unavailable"))

    result = _run("setup", "--non-interactive", "--save-unvalidated")

    assert result.exit_code == 0, result.output
    assert "UNVALIDATED" in result.output
    assert read_credentials_file(_isolated_dirs.secrets_file, PASSWORD).validated is False
    assert json.loads(_status(monkeypatch).stdout) == {"source": "file", "validated": False}


def test_setup_interactive_then_prompts_hidden_and_saves(
    kraken: LoopbackKraken, _isolated_dirs: AppPaths
) -> None:
    kraken.script("Balance", ok({}))

    result = _run("setup", input=f"{TEST_KEY}\n{TEST_SECRET}\n{PASSWORD}\n{PASSWORD}\n")

    assert result.exit_code == 0, result.output
    assert read_credentials_file(_isolated_dirs.secrets_file, PASSWORD).validated is True
    _assert_no_secret(result)  # hidden input is not echoed


TYPED = f"{TEST_KEY}\n{TEST_SECRET}\n{PASSWORD}\n{PASSWORD}\n"
MAINTENANCE = Reply(503, "<html>maintenance</html>")


def test_setup_interactive_unreachable_then_retry_reuses_what_was_typed_and_saves_validated(
    kraken: LoopbackKraken, _isolated_dirs: AppPaths
) -> None:
    kraken.script("Balance", MAINTENANCE, ok({}))

    result = _run("setup", input=TYPED + "y\n")

    assert result.exit_code == 0, result.output
    assert "Kraken could not be reached. Retry now?" in result.output
    assert "validated and saved" in result.output
    saved = read_credentials_file(_isolated_dirs.secrets_file, PASSWORD)
    assert saved.api_key.get_secret_value() == TEST_KEY and saved.validated is True
    balance_calls = kraken.calls("Balance")
    assert len(balance_calls) == 2
    assert {call.headers["API-Key"] for call in balance_calls} == {TEST_KEY}
    _assert_no_secret(result)


def test_setup_interactive_unreachable_retry_declined_save_accepted_then_saved_unvalidated(
    kraken: LoopbackKraken, _isolated_dirs: AppPaths
) -> None:
    kraken.script("Balance", MAINTENANCE)

    result = _run("setup", input=TYPED + "n\ny\n")

    assert result.exit_code == 0, result.output
    assert "Save it marked unvalidated?" in result.output and "UNVALIDATED" in result.output
    saved = read_credentials_file(_isolated_dirs.secrets_file, PASSWORD)
    assert saved.api_key.get_secret_value() == TEST_KEY and saved.validated is False
    assert len(kraken.calls("Balance")) == 1


def test_setup_interactive_unreachable_retry_and_save_both_declined_then_exit_3_nothing_saved(
    kraken: LoopbackKraken, _isolated_dirs: AppPaths
) -> None:
    kraken.script("Balance", MAINTENANCE)

    result = _run("setup", input=TYPED + "y\nn\nn\n")

    assert result.exit_code == 3, result.output
    assert "Nothing was saved" in result.output and "Authentication" not in result.output
    assert not _isolated_dirs.secrets_file.exists()
    assert len(kraken.calls("Balance")) == 2  # the first try and one retry


def test_setup_interactive_retry_finds_key_refused_then_exit_2_nothing_saved(
    kraken: LoopbackKraken, _isolated_dirs: AppPaths
) -> None:
    kraken.script("Balance", MAINTENANCE, kraken_error("EAPI:Invalid key"))

    result = _run("setup", input=TYPED + "y\n")

    assert result.exit_code == 2, result.output
    assert "Authentication failed" in result.output
    assert not _isolated_dirs.secrets_file.exists()


def test_setup_non_interactive_missing_variables_then_names_them(_isolated_dirs: AppPaths) -> None:
    result = _run("setup", "--non-interactive")

    assert result.exit_code == 1
    assert "KRAKKED_API_KEY" in result.output and "KRAKKED_MASTER_PASSWORD" in result.output


def test_status_nothing_configured_then_none(monkeypatch: pytest.MonkeyPatch) -> None:
    result = _status(monkeypatch, password=None)

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"source": "none", "validated": None}


@pytest.mark.usefixtures("script_env")
def test_status_env_credentials_then_env_and_validated_unknown() -> None:
    result = _run("credentials", "status", "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"source": "env", "validated": None}
    _assert_no_secret(result)


@pytest.mark.usefixtures("script_env")
def test_status_wrong_master_password_then_non_zero_with_decryption_message(
    kraken: LoopbackKraken, monkeypatch: pytest.MonkeyPatch
) -> None:
    kraken.script("Balance", ok({}))
    assert _run("setup", "--non-interactive").exit_code == 0

    result = _status(monkeypatch, password="not the password")

    assert result.exit_code != 0
    assert "Wrong password or corrupted secrets file" in result.output


@pytest.mark.usefixtures("script_env")
def test_status_human_output_then_source_and_validation(
    kraken: LoopbackKraken, monkeypatch: pytest.MonkeyPatch
) -> None:
    kraken.script("Balance", ok({}))
    assert _run("setup", "--non-interactive").exit_code == 0
    monkeypatch.delenv("KRAKKED_API_KEY")
    monkeypatch.delenv("KRAKKED_API_SECRET")
    monkeypatch.delenv("KRAKKED_MASTER_PASSWORD")

    result = _run("credentials", "status", input=f"{PASSWORD}\n")

    assert result.exit_code == 0, result.output
    assert "source: file" in result.output and "validated: yes" in result.output


def test_setup_secret_not_base64_then_exit_2_and_nothing_sent(
    kraken: LoopbackKraken, _isolated_dirs: AppPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KRAKKED_API_KEY", TEST_KEY)
    monkeypatch.setenv("KRAKKED_API_SECRET", "this is not base64!")
    monkeypatch.setenv("KRAKKED_MASTER_PASSWORD", PASSWORD)

    result = _run("setup", "--non-interactive")

    assert result.exit_code == 2, result.output
    assert "secret" in result.output and "this is not base64!" not in result.output
    assert kraken.requests == []
    assert not _isolated_dirs.secrets_file.exists()
