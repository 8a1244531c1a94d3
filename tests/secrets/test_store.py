import base64
import json
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from krakked_core.errors import SecretsDecryptionError, SecretsError
from krakked_core.paths import AppPaths
from krakked_core.secrets import SCRYPT_N, Credentials, read_credentials_file, save_credentials
from tests.secrets.conftest import FAST_N, KEY, PASSWORD, SECRET

Damage = Callable[[bytes], bytes]


def _save(paths: AppPaths, credentials: Credentials, **kwargs: Any) -> Path:
    kwargs.setdefault("validated", True)
    kwargs.setdefault("scrypt_n", FAST_N)
    return save_credentials(paths, credentials, PASSWORD, **kwargs)


def test_save_then_read_with_right_password_gives_identical_credentials(
    app_paths: AppPaths, credentials: Credentials
) -> None:
    path = _save(app_paths, credentials)

    loaded = read_credentials_file(path, PASSWORD)

    assert loaded.api_key.get_secret_value() == KEY
    assert loaded.api_secret.get_secret_value() == SECRET
    assert (loaded.source, loaded.validated) == ("file", True)
    assert loaded.validated_at is not None and loaded.validated_at.tzinfo is not None


def test_saved_unvalidated_then_flag_kept_and_no_timestamp(
    app_paths: AppPaths, credentials: Credentials
) -> None:
    path = _save(app_paths, credentials, validated=False)

    loaded = read_credentials_file(path, PASSWORD)

    assert (loaded.validated, loaded.validated_at) == (False, None)


def test_wrong_password_then_decryption_error_with_the_contracts_message(
    app_paths: AppPaths, credentials: Credentials
) -> None:
    path = _save(app_paths, credentials)

    with pytest.raises(SecretsDecryptionError) as caught:
        read_credentials_file(path, "Correct horse battery staple")

    assert str(caught.value) == "Wrong password or corrupted secrets file"
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def _flip_ciphertext_byte(data: bytes) -> bytes:
    envelope = json.loads(data)
    raw = bytearray(base64.b64decode(envelope["ciphertext"]))
    raw[3] ^= 0x01
    envelope["ciphertext"] = base64.b64encode(bytes(raw)).decode()
    return json.dumps(envelope).encode()


def _edit_header(**changes: object) -> Damage:
    def edit(data: bytes) -> bytes:
        envelope = json.loads(data)
        envelope.update(changes)
        return json.dumps(envelope).encode()

    return edit


def _edit_kdf(**changes: object) -> Damage:
    def edit(data: bytes) -> bytes:
        envelope = json.loads(data)
        envelope["kdf"].update(changes)
        return json.dumps(envelope).encode()

    return edit


def _drop_header(name: str) -> Damage:
    def edit(data: bytes) -> bytes:
        envelope = json.loads(data)
        del envelope[name]
        return json.dumps(envelope).encode()

    return edit


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(_flip_ciphertext_byte, id="ciphertext-bit-flipped"),
        pytest.param(lambda data: data[: len(data) // 2], id="truncated-half"),
        pytest.param(lambda data: data[:-40] + data[-2:], id="truncated-tail"),
        pytest.param(lambda data: b"", id="empty"),
        pytest.param(lambda data: b"\x00\xff" * 50, id="binary-garbage"),
        pytest.param(lambda data: b"[1, 2, 3]", id="json-not-an-object"),
        pytest.param(_edit_header(validated=False), id="validated-flag-edited"),
        pytest.param(
            _edit_header(validated_at="2020-01-01T00:00:00+00:00"), id="validated-at-edited"
        ),
        pytest.param(_edit_header(ciphertext="%%%"), id="ciphertext-not-base64"),
        pytest.param(_edit_kdf(salt=base64.b64encode(b"0" * 16).decode()), id="salt-replaced"),
        pytest.param(_edit_kdf(n=2**30), id="kdf-cost-absurd"),
        pytest.param(_edit_kdf(n=1000), id="kdf-n-not-power-of-two"),
        pytest.param(_edit_kdf(r=True), id="kdf-r-not-int"),
        pytest.param(_edit_header(format="something-else"), id="wrong-format"),
        pytest.param(_edit_header(version="1"), id="version-a-string"),
        pytest.param(_edit_header(version=None), id="version-null"),
        pytest.param(_edit_header(version=0), id="version-zero"),
        pytest.param(_edit_header(version=-3), id="version-negative"),
        pytest.param(_edit_header(version=1.5), id="version-a-float"),
        pytest.param(_edit_header(version=[2]), id="version-a-list"),
        pytest.param(_drop_header("version"), id="version-missing"),
    ],
)
def test_damaged_file_then_decryption_error_never_credentials(
    app_paths: AppPaths, credentials: Credentials, damage: Damage
) -> None:
    path = _save(app_paths, credentials)
    path.write_bytes(damage(path.read_bytes()))

    with pytest.raises(SecretsDecryptionError, match="Wrong password or corrupted secrets file"):
        read_credentials_file(path, PASSWORD)


def test_newer_envelope_version_then_decryption_error_that_says_so(
    app_paths: AppPaths, credentials: Credentials
) -> None:
    path = _save(app_paths, credentials)
    path.write_bytes(_edit_header(version=99)(path.read_bytes()))

    with pytest.raises(SecretsDecryptionError, match="version 99") as caught:
        read_credentials_file(path, PASSWORD)

    assert "newer Krakked" in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_file_written_then_mode_0600(app_paths: AppPaths, credentials: Credentials) -> None:
    path = _save(app_paths, credentials)

    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_file_written_then_no_plaintext_and_versioned_envelope(
    app_paths: AppPaths, credentials: Credentials
) -> None:
    path = _save(app_paths, credentials)
    data = path.read_bytes()

    assert KEY.encode() not in data and SECRET.encode() not in data
    assert PASSWORD.encode() not in data
    envelope = json.loads(data)
    assert envelope["format"] == "krakked-secrets" and envelope["version"] == 1
    assert envelope["kdf"]["name"] == "scrypt"
    assert {"n", "r", "p", "salt"} <= envelope["kdf"].keys()
    assert envelope["cipher"]["name"] == "aes-256-gcm"
    assert envelope["validated"] is True and envelope["validated_at"]


def test_two_saves_then_fresh_salt_and_nonce_each_time(
    app_paths: AppPaths, credentials: Credentials
) -> None:
    first = json.loads(_save(app_paths, credentials).read_bytes())
    second = json.loads(_save(app_paths, credentials).read_bytes())

    assert first["kdf"]["salt"] != second["kdf"]["salt"]
    assert first["cipher"]["nonce"] != second["cipher"]["nonce"]
    assert first["ciphertext"] != second["ciphertext"]


def test_kdf_parameters_read_from_the_file_then_other_costs_still_open(
    app_paths: AppPaths, credentials: Credentials
) -> None:
    path = _save(app_paths, credentials, scrypt_n=2**11)

    assert json.loads(path.read_bytes())["kdf"]["n"] == 2**11
    assert read_credentials_file(path, PASSWORD).api_key.get_secret_value() == KEY


def test_default_kdf_cost_then_recorded(app_paths: AppPaths, credentials: Credentials) -> None:
    path = save_credentials(app_paths, credentials, PASSWORD, validated=False)

    assert json.loads(path.read_bytes())["kdf"]["n"] == SCRYPT_N == 2**15
    assert read_credentials_file(path, PASSWORD).validated is False


def test_failed_write_then_previous_file_intact_and_no_temp_left(
    app_paths: AppPaths, credentials: Credentials, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _save(app_paths, credentials)
    before = path.read_bytes()

    def disk_full(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(OSError, match="No space"):
        _save(app_paths, Credentials.of("other-key-123456789", SECRET), validated=False)
    monkeypatch.undo()

    assert path.read_bytes() == before
    assert sorted(p.name for p in app_paths.config_dir.iterdir()) == ["secrets.enc"]
    assert read_credentials_file(path, PASSWORD).api_key.get_secret_value() == KEY


def test_config_dir_missing_then_created_owner_only(
    tmp_path: Path, credentials: Credentials
) -> None:
    paths = AppPaths(config_dir=tmp_path / "fresh" / "config", data_dir=tmp_path / "data")

    path = _save(paths, credentials)

    assert path.exists()
    assert stat.S_IMODE(paths.config_dir.stat().st_mode) == 0o700


def test_empty_master_password_then_refused(app_paths: AppPaths, credentials: Credentials) -> None:
    with pytest.raises(SecretsError, match="master password"):
        save_credentials(app_paths, credentials, "", validated=True, scrypt_n=FAST_N)
    assert not app_paths.secrets_file.exists()
