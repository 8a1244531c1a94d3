"""Kraken's REST surface over the core exchange: envelopes, auth, rate limits and faults.

Every answer Kraken's engine gives is HTTP 200 with ``{"error": [...], "result": ...}``; only
the injected faults (a proxy's 5xx, a lost response, a dropped connection) break that rule.
"""

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from decimal import Decimal
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from krakked_core.sim.auth import (
    BAD_REQUEST,
    KeyRegistry,
    PrivateRequest,
    check_permission,
    parse_body,
)
from krakked_core.sim.errors import SimError
from krakked_core.sim.exchange import Exchange
from krakked_core.sim.faults import FaultInjector, HttpDecision, HttpFault
from krakked_core.sim.limits import RateLimiter
from krakked_core.sim.trading_costs import TradingCosts

log = logging.getLogger(__name__)

SERVICE_UNAVAILABLE = "EService:Unavailable"
SERVICE_BUSY = "EService:Busy"
INTERNAL_ERROR = "EGeneral:Internal error"
WS_TOKEN_EXPIRES_SECONDS = 900  # Kraken's: connect within 15 minutes

# Abort the client's connection without an answer; False when the server cannot.
ConnectionDropper = Callable[[Request], bool]


def kraken_response(error: list[str], result: Any = None) -> Response:
    """Kraken's envelope; a ``result`` only when there is no error, as Kraken does."""
    payload: dict[str, Any] = {"error": error}
    if not error:
        payload["result"] = result
    body = json.dumps(payload, default=_json_default, separators=(",", ":"))
    return Response(body, status_code=200, media_type="application/json")


def _json_default(value: object) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _proxy_error(status: int) -> Response:
    """What a proxy or Cloudflare answers: not Kraken's envelope at all."""
    html = f"<html><head><title>{status}</title></head><body>{status} error</body></html>"
    return Response(html, status_code=status, media_type="text/html")


class RestApi:
    """The handlers behind ``/0/public/<Method>`` and ``/0/private/<Method>``."""

    def __init__(
        self,
        exchange: Exchange,
        keys: KeyRegistry,
        faults: FaultInjector,
        limiter: RateLimiter,
        drop_connection: ConnectionDropper,
    ) -> None:
        self._exchange = exchange
        self._keys = keys
        self._faults = faults
        self._limiter = limiter
        self._drop = drop_connection
        self._costs = TradingCosts(exchange)

    async def public(self, request: Request) -> Response:
        method = str(request.path_params["method"])
        params: dict[str, str] = dict(request.query_params)
        body = await request.body() if request.method == "POST" else b""

        async def handle() -> Response:
            try:
                params.update(parse_body(body, request.headers.get("content-type", "")))
            except SimError as exc:
                return kraken_response([exc.kraken_error])
            return await self._call_public(method, params)

        return await self._with_faults(request, method, handle)

    async def private(self, request: Request) -> Response:
        method = str(request.path_params["method"])
        body = await request.body()  # the raw bytes: the signature covers exactly these

        async def handle() -> Response:
            if request.method != "POST":
                return kraken_response([BAD_REQUEST])
            return await self._call_private(request, method, body)

        return await self._with_faults(request, method, handle)

    async def _call_public(self, method: str, params: Mapping[str, str]) -> Response:
        try:
            result = await run_in_threadpool(self._exchange.public, method, params)
        except SimError as exc:
            return kraken_response([exc.kraken_error])
        except Exception:  # a sandbox bug: answer as Kraken's engine would, and say so in the log
            log.exception("sandbox public call failed", extra={"method": method})
            return kraken_response([INTERNAL_ERROR])
        return kraken_response([], result)

    async def _call_private(self, request: Request, method: str, body: bytes) -> Response:
        try:
            call = self._keys.authenticate(
                url_path=request.url.path,
                headers_key=request.headers.get("API-Key"),
                headers_sign=request.headers.get("API-Sign"),
                body=body,
                content_type=request.headers.get("content-type", ""),
            )
            check_permission(call.api_key, method)
            self._limiter.charge_private_call(call.api_key.key, method)
            if method == "GetWebSocketsToken":
                result: Any = {
                    "token": self._keys.issue_token(call.api_key),
                    "expires": WS_TOKEN_EXPIRES_SECONDS,
                }
            else:
                result = await run_in_threadpool(self._execute, method, call)
        except SimError as exc:
            return kraken_response([exc.kraken_error])
        except Exception:  # a sandbox bug: answer as Kraken's engine would, and say so in the log
            log.exception("sandbox private call failed", extra={"method": method})
            return kraken_response([INTERNAL_ERROR])
        return kraken_response([], result)

    def _execute(self, method: str, call: PrivateRequest) -> Any:
        """Run a private call on the exchange, under the per-pair trading limit (in a thread)."""
        costs = self._costs.before(method, call.params)
        self._limiter.check_trading(costs)
        result = self._exchange.private(method, call.params, can_trade=not call.api_key.read_only)
        self._limiter.charge_trading(costs)
        return result

    async def _with_faults(
        self, request: Request, method: str, handle: Callable[[], Awaitable[Response]]
    ) -> Response:
        decision = self._faults.decide_http(method)
        profile = self._faults.profile
        if profile.latency_ms:
            await asyncio.sleep(profile.latency_ms / 1000)
        early = _refused(decision)
        if early is not None:
            log.info("sim fault", extra={"method": method, "fault": decision.fault.value})
            return early
        response = await handle()
        if decision.fault is HttpFault.ADD_ORDER_LOST_RESPONSE and _placed_order(response):
            log.info("sim fault", extra={"method": method, "fault": decision.fault.value})
            if profile.lost_response_as == "drop" and self._drop(request):
                return response  # never reaches the client: the connection is gone
            return _proxy_error(502)
        if decision.fault is HttpFault.TIMEOUT:
            log.info("sim fault", extra={"method": method, "fault": decision.fault.value})
            await asyncio.sleep(profile.timeout_seconds)
            if profile.timeout_then == "drop" and self._drop(request):
                return response
        return response


def _placed_order(response: Response) -> bool:
    """Whether an AddOrder answer carries a txid: only an executed order can lose its answer
    (a rejection, a ``validate`` call or an auth failure reach the client as they are)."""
    try:
        payload = json.loads(bytes(response.body))
    except ValueError:
        return False
    result = payload.get("result") if isinstance(payload, dict) else None
    return isinstance(result, dict) and bool(result.get("txid"))


def _refused(decision: HttpDecision) -> Response | None:
    """The answer for faults that stop a request before Kraken's engine sees it."""
    if decision.fault is HttpFault.HTTP_5XX:
        return _proxy_error(decision.status)
    if decision.fault is HttpFault.SERVICE_UNAVAILABLE:
        return kraken_response([SERVICE_UNAVAILABLE])
    if decision.fault is HttpFault.SERVICE_BUSY:
        return kraken_response([SERVICE_BUSY])
    return None
