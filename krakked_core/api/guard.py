"""Auth and read-only, in front of every route (an ASGI middleware, so no route can skip it).

With ``ui.auth.enabled`` every request but the health check needs ``Authorization: Bearer
<token>``, compared in constant time. With ``ui.read_only`` every request that is not a read
(GET, HEAD, OPTIONS) is refused with 403 before any route runs.
"""

import hmac
import json

from starlette.types import ASGIApp, Receive, Scope, Send

from krakked_core.config import UiConfig

READS = frozenset({"GET", "HEAD", "OPTIONS"})


class Guard:
    def __init__(self, app: ASGIApp, ui: UiConfig, *, open_paths: frozenset[str]) -> None:
        self._app = app
        token = ui.auth.token.get_secret_value()
        self._token = f"Bearer {token}".encode() if ui.auth.enabled else None
        self._read_only = ui.read_only
        self._open_paths = open_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        if self._token is not None and scope["path"] not in self._open_paths:
            given = dict(scope["headers"]).get(b"authorization", b"")
            if not hmac.compare_digest(given, self._token):
                await _refuse(send, 401, "unauthorized: send Authorization: Bearer <token>")
                return
        if self._read_only and scope["method"] not in READS:
            await _refuse(send, 403, "read-only: this API is in read-only mode (ui.read_only)")
            return
        await self._app(scope, receive, send)


async def _refuse(send: Send, status: int, message: str) -> None:
    body = json.dumps({"data": None, "error": message}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if status == 401:
        headers.append((b"www-authenticate", b"Bearer"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
