"""API credentials: where they come from, the encrypted secrets file, and the setup validation.

Precedence: ``KRAKKED_API_KEY`` + ``KRAKKED_API_SECRET`` (both) > ``secrets.enc`` in the config
dir, opened with ``KRAKKED_MASTER_PASSWORD`` or a prompt > ``NoCredentialsError``.

``secrets.enc`` is a versioned JSON envelope: scrypt (parameters and salt recorded) derives a
256-bit key from the master password; AES-256-GCM encrypts the key and secret under a random
nonce, with the envelope's header as associated data, so the validated flag cannot be edited
without the file failing to open. A wrong password or any damage raises
``SecretsDecryptionError`` and never yields credentials.
"""

import base64
import binascii
import json
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from pydantic import SecretStr

from krakked_core.errors import (
    AuthError,
    InvalidNonceError,
    NoCredentialsError,
    SecretsDecryptionError,
    SecretsError,
    TemporaryVenueError,
    VenueError,
)
from krakked_core.files import write_private_file
from krakked_core.paths import AppPaths

logger = logging.getLogger(__name__)

API_KEY_VAR = "KRAKKED_API_KEY"
API_SECRET_VAR = "KRAKKED_API_SECRET"  # noqa: S105 - a variable name, not a secret
MASTER_PASSWORD_VAR = "KRAKKED_MASTER_PASSWORD"  # noqa: S105 - a variable name

ENVELOPE_FORMAT = "krakked-secrets"
ENVELOPE_VERSION = 1
SCRYPT_N = 2**15
SCRYPT_R = 8
SCRYPT_P = 1
# Bounds for parameters read from a file: a damaged or hostile file must not demand gigabytes.
_MAX_SCRYPT_N = 2**20
_MAX_SCRYPT_MEMORY = 2**28  # bytes (128 * n * r)
_KEY_BYTES = 32
_SALT_BYTES = 16
_NONCE_BYTES = 12

CredentialSource = Literal["env", "file", "entered", "sandbox"]


@dataclass(frozen=True, repr=False)
class Credentials:
    """An API key and secret, with where they came from and whether they were validated."""

    api_key: SecretStr
    api_secret: SecretStr
    source: CredentialSource = "entered"
    validated: bool | None = None
    validated_at: datetime | None = None

    @classmethod
    def of(
        cls,
        api_key: str,
        api_secret: str,
        *,
        source: CredentialSource = "entered",
        validated: bool | None = None,
        validated_at: datetime | None = None,
    ) -> "Credentials":
        """Build from plain strings (surrounding whitespace dropped); empty values are refused."""
        key, secret = api_key.strip(), api_secret.strip()
        if not key or not secret:
            raise SecretsError("the API key and the API secret must both be non-empty")
        return cls(SecretStr(key), SecretStr(secret), source, validated, validated_at)

    def __repr__(self) -> str:
        return (
            f"Credentials(api_key=**********, api_secret=**********, source={self.source!r}, "
            f"validated={self.validated!r})"
        )

    __str__ = __repr__


# --- loading ------------------------------------------------------------------------------


def credentials_from_env(environ: Mapping[str, str]) -> Credentials | None:
    """Both variables set: credentials; one set: a warning naming the other; none: None."""
    key = environ.get(API_KEY_VAR, "").strip()
    secret = environ.get(API_SECRET_VAR, "").strip()
    if key and secret:
        return Credentials.of(key, secret, source="env")
    if key or secret:
        missing = API_SECRET_VAR if key else API_KEY_VAR
        present = API_KEY_VAR if key else API_SECRET_VAR
        logger.warning(
            f"{present} is set but {missing} is not: ignoring the environment credentials",
            extra={"missing_variable": missing},
        )
    return None


def load_credentials(
    paths: AppPaths,
    environ: Mapping[str, str] | None = None,
    password_prompt: Callable[[], str] | None = None,
) -> Credentials:
    """Return the credentials to use, by the precedence of the module docstring."""
    env = os.environ if environ is None else environ
    from_env = credentials_from_env(env)
    if from_env is not None:
        return from_env
    if paths.secrets_file.exists():
        password = env.get(MASTER_PASSWORD_VAR) or (password_prompt() if password_prompt else "")
        if not password:
            raise SecretsError(
                f"{paths.secrets_file} needs the master password: set {MASTER_PASSWORD_VAR} "
                "or run interactively"
            )
        return read_credentials_file(paths.secrets_file, password)
    raise NoCredentialsError(
        f"no API credentials: set {API_KEY_VAR} and {API_SECRET_VAR}, or run `krakked setup`"
    )


# --- the encrypted file ---------------------------------------------------------------------


def save_credentials(
    paths: AppPaths,
    credentials: Credentials,
    password: str,
    *,
    validated: bool,
    validated_at: datetime | None = None,
    scrypt_n: int = SCRYPT_N,
) -> Path:
    """Encrypt and write ``secrets.enc`` atomically (0600); return its path."""
    if not password:
        raise SecretsError("the master password must not be empty")
    if validated and validated_at is None:
        validated_at = datetime.now(UTC)
    data = encrypt_envelope(
        credentials,
        password,
        validated=validated,
        validated_at=validated_at if validated else None,
        scrypt_n=scrypt_n,
    )
    write_private_file(paths.secrets_file, data)
    logger.info(
        "credentials saved", extra={"path": str(paths.secrets_file), "validated": validated}
    )
    return paths.secrets_file


def read_credentials_file(path: Path, password: str) -> Credentials:
    """Decrypt ``path``; any failure is a SecretsDecryptionError."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SecretsError(f"cannot read {path}: {exc.strerror}") from None
    return decrypt_envelope(data, password)


def encrypt_envelope(
    credentials: Credentials,
    password: str,
    *,
    validated: bool,
    validated_at: datetime | None,
    scrypt_n: int = SCRYPT_N,
) -> bytes:
    """Return the JSON envelope holding ``credentials`` encrypted under ``password``."""
    salt = os.urandom(_SALT_BYTES)
    nonce = os.urandom(_NONCE_BYTES)
    header: dict[str, Any] = {
        "format": ENVELOPE_FORMAT,
        "version": ENVELOPE_VERSION,
        "kdf": {"name": "scrypt", "n": scrypt_n, "r": SCRYPT_R, "p": SCRYPT_P, "salt": _b64(salt)},
        "cipher": {"name": "aes-256-gcm", "nonce": _b64(nonce)},
        "validated": validated,
        "validated_at": validated_at.astimezone(UTC).isoformat() if validated_at else None,
    }
    key = _derive_key(password, salt, scrypt_n, SCRYPT_R, SCRYPT_P)
    plaintext = json.dumps(
        {
            "api_key": credentials.api_key.get_secret_value(),
            "api_secret": credentials.api_secret.get_secret_value(),
        }
    ).encode()
    ciphertext = AESGCM(key).encrypt(nonce, plaintext, _aad(header))
    return json.dumps({**header, "ciphertext": _b64(ciphertext)}, indent=2).encode()


def decrypt_envelope(data: bytes, password: str) -> Credentials:
    """Open an envelope; a wrong password, a damaged file or an edited header all fail alike."""
    try:
        envelope = json.loads(data)
        if not isinstance(envelope, dict):
            raise TypeError("not an object")
        ciphertext = _unb64(envelope.pop("ciphertext"))
        kdf, cipher = _check_header(envelope)
        key = _derive_key(password, _unb64(kdf["salt"]), kdf["n"], kdf["r"], kdf["p"])
        plaintext = AESGCM(key).decrypt(_unb64(cipher["nonce"]), ciphertext, _aad(envelope))
        secrets = json.loads(plaintext)
        validated_at = envelope["validated_at"]
        return Credentials.of(
            secrets["api_key"],
            secrets["api_secret"],
            source="file",
            validated=bool(envelope["validated"]),
            validated_at=datetime.fromisoformat(validated_at) if validated_at else None,
        )
    except _NewerVersion as exc:
        # Still a decryption error, so callers catching that one see it; only the text differs.
        raise SecretsDecryptionError(str(exc)) from None
    except (InvalidTag, ValueError, TypeError, KeyError, AttributeError, SecretsError):
        # Nothing about why: the reason could hint at the content.
        raise SecretsDecryptionError() from None


class _NewerVersion(Exception):
    """A well-formed envelope written by a newer Krakked: worth saying, unlike plain damage."""


def _check_header(header: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Check format, version and parameter bounds; return the kdf and cipher sections."""
    if header.get("format") != ENVELOPE_FORMAT:
        raise ValueError("not a secrets envelope")
    version = header.get("version")
    if type(version) is not int or version < 1:  # bool is not a version either
        raise ValueError("damaged version field")
    if version > ENVELOPE_VERSION:
        raise _NewerVersion(
            f"the secrets file has version {version}, written by a newer Krakked; this one "
            f"reads version {ENVELOPE_VERSION}: upgrade Krakked to open it"
        )
    if version != ENVELOPE_VERSION:
        raise ValueError("unknown older version")
    kdf, cipher = header["kdf"], header["cipher"]
    n, r, p = kdf["n"], kdf["r"], kdf["p"]
    if kdf["name"] != "scrypt" or cipher["name"] != "aes-256-gcm":
        raise ValueError("unknown algorithm")
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (n, r, p)):
        raise TypeError("kdf parameters must be integers")
    if not (2 <= n <= _MAX_SCRYPT_N and n & (n - 1) == 0 and 1 <= r <= 32 and 1 <= p <= 16):
        raise ValueError("kdf parameters out of bounds")
    if 128 * n * r > _MAX_SCRYPT_MEMORY:
        raise ValueError("kdf parameters need too much memory")
    return kdf, cipher


def _derive_key(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=_KEY_BYTES, n=n, r=r, p=p).derive(password.encode())


def _aad(header: dict[str, Any]) -> bytes:
    return json.dumps(header, sort_keys=True, separators=(",", ":")).encode()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: Any) -> bytes:
    if not isinstance(text, str):
        raise TypeError("expected base64 text")
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error as exc:
        raise ValueError("bad base64") from exc


# --- setup validation ------------------------------------------------------------------------


class BalanceReader(Protocol):
    """What validation needs of a client: one private read-only call."""

    def balance(self) -> Any: ...


class ValidationStatus(StrEnum):
    VALIDATED = "validated"
    AUTH_FAILED = "auth_failed"
    UNREACHABLE = "unreachable"


@dataclass(frozen=True)
class ValidationOutcome:
    """What the validation call showed; only VALIDATED may be saved as validated."""

    status: ValidationStatus
    message: str
    kraken_errors: tuple[str, ...] = field(default=())

    @property
    def validated(self) -> bool:
        return self.status is ValidationStatus.VALIDATED


def validate_credentials(client: BalanceReader) -> ValidationOutcome:
    """Call ``Balance`` and say whether the key works, is refused, or could not be checked."""
    try:
        client.balance()
    except AuthError as exc:
        return _auth_failed(
            f"the API key was refused ({exc}). Check the key and secret, and that the key "
            "has the 'Query Funds' permission.",
            exc,
        )
    except InvalidNonceError as exc:
        return _auth_failed(
            f"Kraken rejected the nonce ({exc}): this key was used by another program with "
            "larger nonces. Create a new API key for Krakked.",
            exc,
        )
    except TemporaryVenueError as exc:
        return _unreachable(exc)
    except VenueError as exc:
        if not exc.kraken_errors:  # an HTTP-level failure: not Kraken judging the key
            return _unreachable(exc)
        return _auth_failed(f"Kraken refused the validation call ({exc}).", exc)
    return ValidationOutcome(ValidationStatus.VALIDATED, "the API key works (Balance succeeded)")


def _auth_failed(message: str, exc: VenueError) -> ValidationOutcome:
    return ValidationOutcome(ValidationStatus.AUTH_FAILED, message, exc.kraken_errors)


def _unreachable(exc: VenueError) -> ValidationOutcome:
    return ValidationOutcome(
        ValidationStatus.UNREACHABLE,
        f"could not reach Kraken to check the key ({exc}); this says nothing about the key",
        exc.kraken_errors,
    )
