import logging

import pytest

from krakked_core.errors import NoCredentialsError, SecretsDecryptionError, SecretsError
from krakked_core.paths import AppPaths
from krakked_core.secrets import Credentials, load_credentials, save_credentials
from tests.secrets.conftest import FAST_N, KEY, PASSWORD, SECRET

ENV_KEY = "eNvKeY-0123456789abcdef0123456789abcdef"
ENV_SECRET = "ZW52LXNlY3JldC0wMTIzNDU2Nzg5YWJjZGVm"


@pytest.fixture
def saved(app_paths: AppPaths, credentials: Credentials) -> AppPaths:
    save_credentials(app_paths, credentials, PASSWORD, validated=True, scrypt_n=FAST_N)
    return app_paths


def _never_prompt() -> str:
    raise AssertionError("the password prompt must not be used here")


def test_env_vars_present_then_env_credentials_used(app_paths: AppPaths) -> None:
    loaded = load_credentials(
        app_paths, {"KRAKKED_API_KEY": ENV_KEY, "KRAKKED_API_SECRET": ENV_SECRET}
    )

    assert loaded.api_key.get_secret_value() == ENV_KEY
    assert loaded.api_secret.get_secret_value() == ENV_SECRET
    assert (loaded.source, loaded.validated) == ("env", None)


def test_only_secrets_file_then_decrypted_credentials_used(saved: AppPaths) -> None:
    loaded = load_credentials(saved, {"KRAKKED_MASTER_PASSWORD": PASSWORD}, _never_prompt)

    assert (loaded.api_key.get_secret_value(), loaded.api_secret.get_secret_value()) == (
        KEY,
        SECRET,
    )
    assert (loaded.source, loaded.validated) == ("file", True)


def test_env_and_secrets_file_then_env_wins_without_asking_a_password(saved: AppPaths) -> None:
    env = {"KRAKKED_API_KEY": ENV_KEY, "KRAKKED_API_SECRET": ENV_SECRET}

    loaded = load_credentials(saved, env, _never_prompt)

    assert loaded.api_key.get_secret_value() == ENV_KEY
    assert loaded.source == "env"


def test_secrets_file_without_env_password_then_prompted(saved: AppPaths) -> None:
    asked: list[bool] = []

    def prompt() -> str:
        asked.append(True)
        return PASSWORD

    loaded = load_credentials(saved, {}, prompt)

    assert asked == [True]
    assert loaded.api_key.get_secret_value() == KEY


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({"KRAKKED_API_KEY": ENV_KEY}, "KRAKKED_API_SECRET"),
        ({"KRAKKED_API_SECRET": ENV_SECRET}, "KRAKKED_API_KEY"),
        ({"KRAKKED_API_KEY": ENV_KEY, "KRAKKED_API_SECRET": "   "}, "KRAKKED_API_SECRET"),
    ],
)
def test_only_one_env_var_then_ignored_with_warning_naming_the_missing_one(
    saved: AppPaths, env: dict[str, str], missing: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)

    loaded = load_credentials(saved, {**env, "KRAKKED_MASTER_PASSWORD": PASSWORD})

    assert loaded.source == "file"
    assert missing in caplog.text
    assert ENV_KEY not in caplog.text and ENV_SECRET not in caplog.text


def test_only_one_env_var_and_no_file_then_no_credentials(app_paths: AppPaths) -> None:
    with pytest.raises(NoCredentialsError):
        load_credentials(app_paths, {"KRAKKED_API_KEY": ENV_KEY})


def test_nothing_at_all_then_no_credentials_error_pointing_to_setup(app_paths: AppPaths) -> None:
    with pytest.raises(NoCredentialsError, match="krakked setup"):
        load_credentials(app_paths, {}, _never_prompt)


def test_secrets_file_wrong_password_then_decryption_error_not_credentials(saved: AppPaths) -> None:
    with pytest.raises(SecretsDecryptionError, match="Wrong password or corrupted secrets file"):
        load_credentials(saved, {"KRAKKED_MASTER_PASSWORD": "wrong"})


def test_secrets_file_corrupted_then_decryption_error(saved: AppPaths) -> None:
    saved.secrets_file.write_bytes(saved.secrets_file.read_bytes()[:50])

    with pytest.raises(SecretsDecryptionError):
        load_credentials(saved, {"KRAKKED_MASTER_PASSWORD": PASSWORD})


def test_secrets_file_and_no_way_to_get_a_password_then_clear_error(saved: AppPaths) -> None:
    with pytest.raises(SecretsError, match="KRAKKED_MASTER_PASSWORD"):
        load_credentials(saved, {})


def test_environ_defaults_to_process_environment(
    app_paths: AppPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KRAKKED_API_KEY", ENV_KEY)
    monkeypatch.setenv("KRAKKED_API_SECRET", ENV_SECRET)

    assert load_credentials(app_paths).source == "env"


def test_empty_key_then_refused() -> None:
    with pytest.raises(SecretsError, match="non-empty"):
        Credentials.of("  ", SECRET)
