"""Kraken's ``API-Sign``: HMAC-SHA512 over the URL path and SHA-256 of nonce + the exact body.

The body is encoded once, here, and the same string is both signed and sent: a signature over
anything but the bytes on the wire is rejected as ``EAPI:Invalid signature``.
"""

import base64
import binascii
import hashlib
import hmac
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from krakked_core.errors import AuthError, InvalidArgumentsError

FormFields = Mapping[str, Any] | Iterable[tuple[str, Any]]


def api_sign(*, url_path: str, nonce: int | str, postdata: str | bytes, secret: str | bytes) -> str:
    """Return the ``API-Sign`` header for one private request."""
    body = postdata.encode() if isinstance(postdata, str) else postdata
    try:
        key = base64.b64decode(secret, validate=True)
    except (binascii.Error, ValueError):
        # The decoder's message never holds the secret, but the chain is cut anyway.
        raise AuthError("the API secret is not valid base64: check the secret") from None
    digest = hashlib.sha256(str(nonce).encode() + body).digest()
    mac = hmac.new(key, url_path.encode() + digest, hashlib.sha512)
    return base64.b64encode(mac.digest()).decode()


def form_value(value: Any) -> str:
    """Render one field as Kraken reads it: booleans lower-case, lists comma-joined, no floats."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        raise InvalidArgumentsError("a float was passed to Kraken: use Decimal or str for amounts")
    if isinstance(value, list | tuple):
        return ",".join(form_value(item) for item in value)
    return str(value)


def encode_body(nonce: int, fields: FormFields | None = None) -> str:
    """Urlencode ``nonce`` first, then the caller's fields in the order given (None dropped)."""
    items = fields.items() if isinstance(fields, Mapping) else (fields or ())
    pairs = [("nonce", str(nonce))]
    pairs.extend((name, form_value(value)) for name, value in items if value is not None)
    return urlencode(pairs)


def encode_query(fields: FormFields | None = None) -> dict[str, str]:
    """Render public GET parameters the same way (None dropped, order kept)."""
    items = fields.items() if isinstance(fields, Mapping) else (fields or ())
    return {name: form_value(value) for name, value in items if value is not None}
