"""The sandbox's own loopback control routes: money in and out, manual orders, extra API keys.

A running ``krakked sim`` is driven through these the way tests drive an in-process sandbox:

- ``POST /sim/deposit``, ``/sim/withdraw``, ``/sim/reward`` ``{"asset", "amount"}``
  → ``{"ledger_id"}``
- ``POST /sim/order`` ``{"pair", "side", "ordertype", "volume", "price"?}`` → ``{"txid"}``
  (an order "someone else" placed by hand, through the same path as AddOrder)
- ``GET /sim/orders/cl_ord_ids`` → ``{"counts": {cl_ord_id: n}}``: how many exchange orders (open
  or closed) carry each client id, so a test can prove one order per client id
- ``POST /sim/keys`` ``{"read_only": bool}`` → ``{"api_key", "api_secret", "read_only"}``: the one
  answer that carries a secret, which is why every route here refuses anything but loopback.

A body that is not JSON, has unknown or missing fields, or that the exchange refuses (unknown
asset, insufficient funds, an order Kraken would reject) gets 422 with ``{"error": ...}``.
"""

import ipaddress
import json
import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from krakked_core.sim.auth import KeyRegistry
from krakked_core.sim.errors import SimError
from krakked_core.sim.exchange import Exchange

log = logging.getLogger(__name__)


class _Body(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FundsBody(_Body):
    asset: str = Field(min_length=1)
    amount: Decimal = Field(gt=0, allow_inf_nan=False)


class ManualOrderBody(_Body):
    pair: str = Field(min_length=1)
    side: Literal["buy", "sell"]
    ordertype: Literal["market", "limit"]
    volume: Decimal = Field(gt=0, allow_inf_nan=False)
    price: Decimal | None = Field(None, gt=0, allow_inf_nan=False)


class KeyBody(_Body):
    read_only: bool = False


_B = TypeVar("_B", bound=_Body)


def is_loopback(connection: HTTPConnection) -> bool:
    host = connection.client.host if connection.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def forbidden() -> Response:
    return JSONResponse({"error": "loopback only"}, status_code=403)


class ControlApi:
    """Handlers of the ``/sim/...`` routes that change the account or the keys."""

    def __init__(self, exchange: Exchange, keys: KeyRegistry) -> None:
        self._exchange = exchange
        self._keys = keys

    def routes(self) -> list[Route]:
        return [
            Route("/sim/deposit", self.deposit, methods=["POST"]),
            Route("/sim/withdraw", self.withdraw, methods=["POST"]),
            Route("/sim/reward", self.reward, methods=["POST"]),
            Route("/sim/order", self.order, methods=["POST"]),
            Route("/sim/orders/cl_ord_ids", self.cl_ord_id_counts, methods=["GET"]),
            Route("/sim/keys", self.create_key, methods=["POST"]),
        ]

    async def cl_ord_id_counts(self, request: Request) -> Response:
        if not is_loopback(request):
            return forbidden()
        counts = await run_in_threadpool(self._exchange.orders_by_cl_ord_id)
        return JSONResponse({"counts": counts})

    async def deposit(self, request: Request) -> Response:
        return await _handle(request, FundsBody, self._funds(self._exchange.deposit))

    async def withdraw(self, request: Request) -> Response:
        return await _handle(request, FundsBody, self._funds(self._exchange.withdraw))

    async def reward(self, request: Request) -> Response:
        return await _handle(request, FundsBody, self._funds(self._exchange.reward))

    async def order(self, request: Request) -> Response:
        def place(body: ManualOrderBody) -> dict[str, Any]:
            txid = self._exchange.place_manual_order(
                body.pair, body.side, body.ordertype, body.volume, body.price
            )
            return {"txid": txid}

        return await _handle(request, ManualOrderBody, place)

    async def create_key(self, request: Request) -> Response:
        def create(body: KeyBody) -> dict[str, Any]:
            key = self._keys.create(read_only=body.read_only)
            log.info("sim API key created", extra={"read_only": body.read_only})
            return {"api_key": key.key, "api_secret": key.secret, "read_only": key.read_only}

        return await _handle(request, KeyBody, create)

    @staticmethod
    def _funds(move: Callable[[str, Decimal], str]) -> Callable[[FundsBody], dict[str, Any]]:
        return lambda body: {"ledger_id": move(body.asset, body.amount)}


async def _handle(
    request: Request, model: type[_B], action: Callable[[_B], dict[str, Any]]
) -> Response:
    if not is_loopback(request):
        return forbidden()
    try:
        # Decimal keeps a JSON number's digits exactly as sent.
        raw = json.loads(await request.body() or b"{}", parse_float=Decimal)
    except ValueError as exc:
        return JSONResponse({"error": f"the body is not JSON: {exc}"}, status_code=422)
    try:
        body = model.model_validate(raw)
    except ValidationError as exc:
        return JSONResponse({"error": str(exc)}, status_code=422)
    try:
        result = await run_in_threadpool(action, body)
    except SimError as exc:
        return JSONResponse({"error": exc.kraken_error}, status_code=422)
    return JSONResponse(result)
