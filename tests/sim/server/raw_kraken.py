"""A deliberately tiny Kraken client for protocol tests: `requests` + signatures computed here.

It shares no code with krakked's own client or with the sandbox, so a bug in either shows.
"""

import base64
import hashlib
import hmac
import itertools
import json
import time
from typing import Any
from urllib.parse import urlencode

import requests

_nonces = itertools.count(time.time_ns() // 1000)


def next_nonce() -> int:
    return next(_nonces)


def kraken_sign(secret: str, path: str, nonce: str, body: bytes) -> str:
    """API-Sign from Kraken's documented definition."""
    message = path.encode() + hashlib.sha256(nonce.encode() + body).digest()
    return base64.b64encode(hmac.new(base64.b64decode(secret), message, "sha512").digest()).decode()


class RawKraken:
    """Public GETs and signed private POSTs against one base URL."""

    def __init__(self, base_url: str, key: str, secret: str, timeout: float = 10.0) -> None:
        self.base_url = base_url
        self.key = key
        self.secret = secret
        self.timeout = timeout
        self.session = requests.Session()

    def public_raw(self, method: str, **params: Any) -> requests.Response:
        return self.session.get(
            f"{self.base_url}/0/public/{method}", params=params, timeout=self.timeout
        )

    def public(self, method: str, **params: Any) -> dict[str, Any]:
        response = self.public_raw(method, **params)
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()
        return data

    def private_raw(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        *,
        as_json: bool = False,
        nonce: int | None = None,
        key: str | None = None,
        secret: str | None = None,
        timeout: float | None = None,
    ) -> requests.Response:
        nonce = next_nonce() if nonce is None else nonce
        fields = {"nonce": nonce, **(params or {})}
        if as_json:
            body = json.dumps(fields).encode()
            content_type = "application/json"
        else:
            body = urlencode(fields).encode()
            content_type = "application/x-www-form-urlencoded"
        path = f"/0/private/{method}"
        headers = {
            "API-Key": key or self.key,
            "API-Sign": kraken_sign(secret or self.secret, path, str(nonce), body),
            "Content-Type": content_type,
        }
        return self.session.post(
            f"{self.base_url}{path}",
            data=body,
            headers=headers,
            timeout=timeout or self.timeout,
        )

    def private(
        self, method: str, params: dict[str, Any] | None = None, **kw: Any
    ) -> dict[str, Any]:
        response = self.private_raw(method, params, **kw)
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()
        return data

    def result(self, method: str, params: dict[str, Any] | None = None, **kw: Any) -> Any:
        """The ``result`` of a private call that must succeed."""
        data = self.private(method, params, **kw)
        assert data["error"] == [], data
        return data["result"]
