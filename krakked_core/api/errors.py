"""Every failure as the envelope with a status that says what to do; never a traceback.

Validation errors are 422 naming each field; a refused action 409, an unknown strategy or
order 404, a service that cannot answer now 503. Anything unforeseen is logged here with its
traceback and answered 500 with no detail (a message could carry what must not leave).
"""

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from krakked_core.api.schemas import ErrorEnvelope
from krakked_core.control.errors import (
    ActionRefusedError,
    ConfirmationError,
    InvalidChangeError,
    NotFoundError,
    UnavailableError,
)
from krakked_core.errors import (
    ConfigError,
    DatabaseError,
    DataError,
    KrakkedError,
    PortfolioError,
    VenueError,
)

logger = logging.getLogger(__name__)

_STATUS: tuple[tuple[type[KrakkedError], int], ...] = (
    (NotFoundError, 404),
    (ConfirmationError, 422),
    (InvalidChangeError, 422),
    (ActionRefusedError, 409),
    (UnavailableError, 503),
    (DataError, 503),
    (VenueError, 503),
    (DatabaseError, 503),
    (PortfolioError, 409),
    (ConfigError, 409),
)

# The statuses every route may answer (the OpenAPI schema lists them, so clients and the fuzz
# test know every answer's shape).
ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    status: {"model": ErrorEnvelope, "description": description}
    for status, description in (
        (401, "missing or wrong bearer token"),
        (403, "read-only mode"),
        (404, "unknown strategy, order or path"),
        (409, "the action makes no sense now"),
        (422, "invalid input, naming the field"),
        (503, "a service cannot answer now"),
    )
}


def error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"data": None, "error": message}, status_code=status)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _invalid_request)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, _http)  # type: ignore[arg-type]
    app.add_exception_handler(KrakkedError, _krakked)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unexpected)


async def _invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
    problems = []
    for err in exc.errors():
        where = ".".join(str(part) for part in err.get("loc", ())) or "request"
        problems.append(f"{where}: {err.get('msg', 'invalid')}")
    return error(422, "; ".join(problems) or "invalid request")


async def _http(_: Request, exc: HTTPException) -> JSONResponse:
    response = error(exc.status_code, str(exc.detail))
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


async def _krakked(_: Request, exc: KrakkedError) -> JSONResponse:
    for kind, status in _STATUS:
        if isinstance(exc, kind):
            return error(status, str(exc))
    logger.error("unmapped %s answered 500: %s", type(exc).__name__, exc)
    return error(500, f"{type(exc).__name__}: {exc}")


async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
    logger.exception("unexpected error answering a request", exc_info=exc)
    return error(500, "internal error (logged on the server)")
