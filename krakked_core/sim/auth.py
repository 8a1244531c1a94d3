"""Who may call the sandbox's private endpoints: API keys, Kraken's signature, nonces.

The verification is written here on purpose, apart from ``krakked_core.connection``: if the
bot's signing had a bug, sharing the code would let the sandbox agree with it and hide it.

``API-Sign = base64(HMAC-SHA512(base64decode(secret), url_path + SHA256(nonce + body)))``, over
the exact body bytes received, whether they are form-encoded or JSON.
"""

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import threading
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import parse_qsl

from krakked_core.errors import ConfigError
from krakked_core.log import SECRET_SCRUBBER
from krakked_core.sim.errors import PERMISSION_DENIED, SimError

INVALID_KEY = "EAPI:Invalid key"
INVALID_SIGNATURE = "EAPI:Invalid signature"
INVALID_NONCE = "EAPI:Invalid nonce"
BAD_REQUEST = "EAPI:Bad request"

# Kraken's key: 56 characters; its secret: 64 random bytes, base64.
_KEY_BYTES = 42
_SECRET_BYTES = 64
_MAX_NONCE = 2**64 - 1
_TOKEN_BYTES = 30

# Calls a read-only key may not make (the exchange core refuses them too, with the same list).
TRADING_METHODS = frozenset(
    {
        "AddOrder",
        "AddOrderBatch",
        "AmendOrder",
        "EditOrder",
        "CancelOrder",
        "CancelOrderBatch",
        "CancelAll",
        "CancelAllOrdersAfter",
    }
)


@dataclass(frozen=True)
class ApiKey:
    """One key pair. The secret never appears in a repr."""

    key: str
    secret: str = field(repr=False)
    read_only: bool = False


@dataclass(frozen=True)
class PrivateRequest:
    """A private call whose key, signature and nonce were verified."""

    api_key: ApiKey
    nonce: int
    params: dict[str, str]


def generate_key_pair() -> tuple[str, str]:
    """Return a fresh ``(api_key, api_secret)`` shaped like Kraken's."""
    key = base64.b64encode(secrets.token_bytes(_KEY_BYTES)).decode()
    secret = base64.b64encode(secrets.token_bytes(_SECRET_BYTES)).decode()
    return key, secret


def expected_signature(secret: str, url_path: str, nonce: str, body: bytes) -> str:
    """Compute the ``API-Sign`` Kraken expects for this path, nonce and raw body."""
    digest = hashlib.sha256(nonce.encode() + body).digest()
    mac = hmac.new(base64.b64decode(secret, validate=True), url_path.encode() + digest, "sha512")
    return base64.b64encode(mac.digest()).decode()


def parse_body(body: bytes, content_type: str) -> dict[str, str]:
    """Read a private call's parameters from a form or JSON body, every value as a string.

    Raises SimError(EAPI:Bad request) when the body cannot be read as its content type says.
    """
    media_type = content_type.split(";", 1)[0].strip().lower()
    try:
        text = body.decode("utf-8")
        if media_type == "application/json":
            return _json_params(text)
        return dict(parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text)))
    except (UnicodeDecodeError, ValueError) as exc:
        raise SimError(BAD_REQUEST) from exc


def _json_params(text: str) -> dict[str, str]:
    # Decimal keeps a JSON number's digits exactly as sent ("0.00001", never "1e-05").
    data = json.loads(text, parse_float=Decimal) if text.strip() else {}
    if not isinstance(data, dict):
        raise ValueError("a JSON body must be an object")
    return {str(name): _as_param(value) for name, value in data.items() if value is not None}


def _as_param(value: object) -> str:
    """Render a JSON value the way the same parameter would read in a form body."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(_as_param(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


class KeyRegistry:
    """The sandbox's API keys and the last nonce each has used. Thread-safe."""

    def __init__(self) -> None:
        self._keys: dict[str, ApiKey] = {}
        self._last_nonce: dict[str, int] = {}
        self._tokens: dict[str, ApiKey] = {}  # WebSocket token → the key that asked for it
        self._lock = threading.Lock()

    def add(self, key: str, secret: str, *, read_only: bool = False) -> ApiKey:
        """Register a given key pair; ConfigError (never showing the secret) unless it is base64."""
        SECRET_SCRUBBER.register(secret)
        try:
            decoded = base64.b64decode(secret, validate=True)
        except binascii.Error:
            decoded = b""
        if not decoded:
            raise ConfigError(
                "the sandbox API secret is not base64 (Kraken's secrets are random bytes, "
                "base64-encoded)"
            ) from None
        api_key = ApiKey(key=key, secret=secret, read_only=read_only)
        with self._lock:
            self._keys[key] = api_key
        return api_key

    def create(self, *, read_only: bool = False) -> ApiKey:
        """Generate and register a new key pair."""
        key, secret = generate_key_pair()
        return self.add(key, secret, read_only=read_only)

    def issue_token(self, api_key: ApiKey) -> str:
        """A GetWebSocketsToken token for ``api_key`` (scrubbed from logs like a secret)."""
        token = base64.b64encode(secrets.token_bytes(_TOKEN_BYTES)).decode()
        SECRET_SCRUBBER.register(token)
        with self._lock:
            self._tokens[token] = api_key
        return token

    def token_owner(self, token: str) -> ApiKey | None:
        """The key a WebSocket token was issued to; None for a token never issued."""
        with self._lock:
            return self._tokens.get(token)

    def get(self, key: str) -> ApiKey | None:
        with self._lock:
            return self._keys.get(key)

    def authenticate(
        self,
        *,
        url_path: str,
        headers_key: str | None,
        headers_sign: str | None,
        body: bytes,
        content_type: str,
    ) -> PrivateRequest:
        """Check key, signature and nonce in Kraken's order; raise SimError on the first fault.

        The nonce is recorded only once the signature is good, so a forged request cannot burn
        a real client's nonces.
        """
        api_key = self.get(headers_key or "")
        if api_key is None:
            raise SimError(INVALID_KEY)
        params = parse_body(body, content_type)
        raw_nonce = params.get("nonce", "")
        signature = expected_signature(api_key.secret, url_path, raw_nonce, body)
        if not headers_sign or not hmac.compare_digest(signature, headers_sign.strip()):
            raise SimError(INVALID_SIGNATURE)
        nonce = _parse_nonce(raw_nonce)
        self._consume_nonce(api_key.key, nonce)
        return PrivateRequest(api_key=api_key, nonce=nonce, params=params)

    def _consume_nonce(self, key: str, nonce: int) -> None:
        with self._lock:
            if nonce <= self._last_nonce.get(key, 0):
                raise SimError(INVALID_NONCE)
            self._last_nonce[key] = nonce


def _parse_nonce(raw: str) -> int:
    if not raw.isdigit():
        raise SimError(INVALID_NONCE)
    nonce = int(raw)
    if nonce > _MAX_NONCE:
        raise SimError(INVALID_NONCE)
    return nonce


def check_permission(api_key: ApiKey, method: str) -> None:
    """Refuse trading calls to a read-only key, as Kraken does."""
    if api_key.read_only and method in TRADING_METHODS:
        raise SimError(PERMISSION_DENIED)
