"""``KrakenRestClient``: Kraken's REST API, one method per endpoint, in Kraken's own vocabulary.

Methods return the decoded ``result`` as Kraken sent it (strings for numbers); parsers into
domain types live in ``connection/parsers``. Failures arrive as the typed errors of
``krakked_core.errors``. A state-changing call that got no clean reply after it may have left
(timeout or reset after sending, HTTP 5xx, a cut-off or unparseable body) raises
``OrderOutcomeUnknown``; one that provably never left (DNS, refused) is a ``NetworkError``.
The key, the secret and every ``API-Sign`` value stay out of logs, reprs and exceptions:
transport exceptions (which hold the request and its headers) are never chained.
"""

import json
import logging
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import requests
from urllib3.exceptions import ConnectTimeoutError

from krakked_core.connection.errors import error_from_http, error_from_kraken, outcome_unknown
from krakked_core.connection.nonce import NonceSource
from krakked_core.connection.ratelimit import PrivateRateLimiter, PublicThrottle, Sleeper
from krakked_core.connection.retry import RetryPolicy, may_retry_private
from krakked_core.connection.signing import FormFields, api_sign, encode_body, encode_query
from krakked_core.errors import (
    InvalidArgumentsError,
    NetworkError,
    NoCredentialsError,
    RateLimitError,
    ServiceUnavailableError,
    TemporaryVenueError,
    VenueError,
)
from krakked_core.log import SECRET_SCRUBBER
from krakked_core.metrics import Metrics
from krakked_core.secrets import Credentials

logger = logging.getLogger(__name__)

JsonResult = Any
Amount = Decimal | str | int
TimeBound = datetime | int | str  # an aware datetime, epoch seconds, or an order txid


@dataclass(frozen=True)
class _Call:
    """What the error handling needs to know of one call."""

    method: str
    changes_state: bool = False
    cl_ord_id: str | None = None


class KrakenRestClient:
    """Signed and public calls against ``base_url`` (Kraken, or the sandbox exchange)."""

    def __init__(
        self,
        *,
        base_url: str,
        credentials: Credentials | None,
        nonce_source: NonceSource,
        public_throttle: PublicThrottle,
        private_limiter: PrivateRateLimiter,
        timeout_seconds: float = 10.0,
        retry: RetryPolicy | None = None,
        sleeper: Sleeper = time.sleep,
        session: requests.Session | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._metrics = metrics
        self._credentials = credentials
        self._nonce = nonce_source
        self._throttle = public_throttle
        self._limiter = private_limiter
        self._timeout = timeout_seconds
        self._retry = retry or RetryPolicy()
        self._sleep = sleeper
        self._session = session or requests.Session()
        if credentials is not None:
            SECRET_SCRUBBER.register(
                credentials.api_key.get_secret_value(), credentials.api_secret.get_secret_value()
            )

    def __repr__(self) -> str:
        has_key = "yes" if self._credentials is not None else "no"
        return f"KrakenRestClient(base_url={self._base_url!r}, credentials={has_key})"

    @property
    def base_url(self) -> str:
        return self._base_url

    # --- the two raw calls ----------------------------------------------------------------

    def public(self, method: str, params: FormFields | None = None) -> JsonResult:
        """GET ``/0/public/<method>`` (throttled, retried on temporary failures)."""
        query = encode_query(params)
        return self._with_retry(
            method, lambda: self._send_public(_Call(method), query), retryable=True
        )

    def private(self, method: str, data: FormFields | None = None) -> JsonResult:
        """Signed POST ``/0/private/<method>``; only read-only methods are ever retried."""
        if self._credentials is None:
            raise NoCredentialsError(f"{method} is a private call and no credentials were given")
        fields = list(data.items() if isinstance(data, Mapping) else (data or ()))
        read_only = may_retry_private(method)
        cl_ord_id = next((str(v) for k, v in fields if k == "cl_ord_id" and v is not None), None)
        call = _Call(method, changes_state=not read_only, cl_ord_id=cl_ord_id)
        return self._with_retry(
            method, lambda: self._send_private(call, fields), retryable=read_only
        )

    # --- public endpoints -----------------------------------------------------------------

    def server_time(self) -> JsonResult:
        return self.public("Time")

    def system_status(self) -> JsonResult:
        return self.public("SystemStatus")

    def assets(self) -> JsonResult:
        return self.public("Assets")

    def asset_pairs(self, pairs: Sequence[str] | None = None) -> JsonResult:
        return self.public("AssetPairs", {"pair": list(pairs) if pairs else None})

    def ticker(self, pairs: Sequence[str]) -> JsonResult:
        return self.public("Ticker", {"pair": list(pairs)})

    def ohlc(self, pair: str, interval: int, since: int | None = None) -> JsonResult:
        return self.public("OHLC", {"pair": pair, "interval": interval, "since": since})

    def trades(
        self, pair: str, since: int | str | None = None, count: int | None = None
    ) -> JsonResult:
        return self.public("Trades", {"pair": pair, "since": since, "count": count})

    def depth(self, pair: str, count: int | None = None) -> JsonResult:
        return self.public("Depth", {"pair": pair, "count": count})

    # --- private, read-only ---------------------------------------------------------------

    def balance(self) -> JsonResult:
        return self.private("Balance")

    def balance_ex(self) -> JsonResult:
        return self.private("BalanceEx")

    def trade_balance(self) -> JsonResult:
        return self.private("TradeBalance")

    def open_orders(
        self,
        *,
        trades: bool | None = None,
        userref: int | None = None,
        cl_ord_id: str | None = None,
    ) -> JsonResult:
        """``OpenOrders``, optionally only those tagged ``userref`` or ``cl_ord_id``."""
        data = {"trades": trades, "userref": userref, "cl_ord_id": cl_ord_id}
        return self.private("OpenOrders", data)

    def closed_orders(
        self,
        ofs: int | None = None,
        start: TimeBound | None = None,
        end: TimeBound | None = None,
        userref: int | None = None,
        cl_ord_id: str | None = None,
    ) -> JsonResult:
        """``ClosedOrders`` (50 a page); a datetime window is widened to whole seconds."""
        data = {
            "ofs": ofs,
            "start": _epoch_bound("ClosedOrders", "start", start, math.floor),
            "end": _epoch_bound("ClosedOrders", "end", end, math.ceil),
            "userref": userref,
            "cl_ord_id": cl_ord_id,
        }
        return self.private("ClosedOrders", data)

    def query_orders(self, txids: Sequence[str]) -> JsonResult:
        return self.private("QueryOrders", {"txid": list(txids)})

    def trades_history(
        self, ofs: int | None = None, start: int | str | None = None, end: int | str | None = None
    ) -> JsonResult:
        return self.private("TradesHistory", {"ofs": ofs, "start": start, "end": end})

    def query_trades(self, txids: Sequence[str]) -> JsonResult:
        return self.private("QueryTrades", {"txid": list(txids)})

    def ledgers(
        self,
        ofs: int | None = None,
        start: int | str | None = None,
        end: int | str | None = None,
        type: str | None = None,  # Kraken's own field name
    ) -> JsonResult:
        return self.private("Ledgers", {"ofs": ofs, "start": start, "end": end, "type": type})

    def get_websockets_token(self) -> JsonResult:
        """``GetWebSocketsToken``; the token is a credential, so it is scrubbed from logs."""
        result = self.private("GetWebSocketsToken")
        token = result.get("token") if isinstance(result, Mapping) else None
        if isinstance(token, str) and token:
            SECRET_SCRUBBER.register(token)
        return result

    # --- private, trading (never retried) -------------------------------------------------

    def add_order(
        self,
        pair: str,
        type: str,  # Kraken's own field name
        ordertype: str,
        volume: Amount,
        price: Amount | None = None,
        *,
        userref: int | None = None,
        cl_ord_id: str | None = None,
        oflags: Sequence[str] | str | None = None,
        timeinforce: str | None = None,
        deadline: datetime | None = None,
        validate: bool = False,
    ) -> JsonResult:
        """``AddOrder``; ``userref`` and ``cl_ord_id`` are mutually exclusive (Kraken's rule).

        ``deadline``: Kraken rejects the order if its engine has not taken it by then (≤ 60 s
        ahead). ``validate`` only checks the order; a real order carries no ``validate`` key at
        all, since some libraries sent ``validate=false`` and still only validated (FACTS.md).
        """
        if userref is not None and cl_ord_id is not None:
            raise InvalidArgumentsError(
                "AddOrder takes userref or cl_ord_id, not both", method="AddOrder"
            )
        data: dict[str, Any] = {
            "pair": pair,
            "type": type,
            "ordertype": ordertype,
            "volume": volume,
            "price": price,
            "userref": userref,
            "cl_ord_id": cl_ord_id,
            "oflags": [oflags] if isinstance(oflags, str) else oflags,
            "timeinforce": timeinforce,
            "deadline": None if deadline is None else _rfc3339("AddOrder", "deadline", deadline),
            "validate": True if validate else None,
        }
        return self.private("AddOrder", data)

    def cancel_order(self, txid: str | None = None, cl_ord_id: str | None = None) -> JsonResult:
        """``CancelOrder`` by exactly one of ``txid`` or ``cl_ord_id``."""
        if (txid is None) == (cl_ord_id is None):
            raise InvalidArgumentsError(
                "CancelOrder takes exactly one of txid or cl_ord_id", method="CancelOrder"
            )
        return self.private("CancelOrder", {"txid": txid, "cl_ord_id": cl_ord_id})

    def cancel_all(self) -> JsonResult:
        return self.private("CancelAll")

    def cancel_all_orders_after(self, timeout: int) -> JsonResult:
        """Arm (or with 0 disarm) Kraken's dead-man switch."""
        return self.private("CancelAllOrdersAfter", {"timeout": timeout})

    # --- transport ------------------------------------------------------------------------

    def _with_retry(
        self, method: str, call: Callable[[], JsonResult], *, retryable: bool
    ) -> JsonResult:
        attempts = self._retry.attempts if retryable else 1
        for attempt in range(attempts):
            try:
                result = call()
            except TemporaryVenueError as exc:
                self._count(method, exc)
                error = exc
            except VenueError as exc:
                self._count(method, exc)
                raise
            else:
                self._count(method, None)
                return result
            if attempt + 1 >= attempts:
                raise error
            delay = self._retry.delay(error, attempt)
            logger.warning(
                "temporary Kraken failure, retrying",
                extra={"method": method, "error": str(error), "delay_seconds": delay},
            )
            self._sleep(delay)
        raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover

    def _count(self, method: str, error: VenueError | None) -> None:
        if self._metrics is not None:
            self._metrics.kraken_call(method, error)

    def _waited(self, scope: str, seconds: float) -> None:
        if self._metrics is not None:
            self._metrics.rate_limit_wait(scope, seconds)

    def _send_public(self, call: _Call, query: dict[str, str]) -> JsonResult:
        self._waited("public", self._throttle.acquire())
        url = f"{self._base_url}/0/public/{call.method}"
        status, content = self._transmit("GET", url, call, params=query)
        return decode_reply(call.method, status, content)

    def _send_private(self, call: _Call, fields: list[tuple[str, Any]]) -> JsonResult:
        assert self._credentials is not None  # checked by private()
        self._waited("private", self._limiter.acquire(call.method))
        path = f"/0/private/{call.method}"
        # The nonce lock is held until the reply is in: see nonce.py for why.
        with self._nonce.issue() as nonce:
            body = encode_body(nonce, fields)
            headers = {
                "API-Key": self._credentials.api_key.get_secret_value(),
                "API-Sign": api_sign(
                    url_path=path,
                    nonce=nonce,
                    postdata=body,
                    secret=self._credentials.api_secret.get_secret_value(),
                ),
                "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
            }
            status, content = self._transmit(
                "POST", self._base_url + path, call, data=body.encode(), headers=headers
            )
        try:
            return decode_reply(
                call.method,
                status,
                content,
                changes_state=call.changes_state,
                cl_ord_id=call.cl_ord_id,
            )
        except RateLimitError:
            self._limiter.note_rate_limited()
            raise

    def _transmit(self, verb: str, url: str, call: _Call, **kwargs: Any) -> tuple[int, bytes]:
        """Send one request; a transport failure becomes a typed error with nothing attached."""
        method = call.method
        started = time.monotonic()
        failure: VenueError | None = None
        try:
            response = self._session.request(verb, url, timeout=self._timeout, **kwargs)
        except requests.RequestException as exc:
            failure = _transport_failure(call, exc, self._timeout)
        if failure is not None:
            # Raised outside the except blocks: the requests exception, which holds the
            # prepared request and its API-Key/API-Sign headers, is not chained.
            logger.info("Kraken request failed", extra={"method": method, "error": str(failure)})
            raise failure
        logger.debug(
            "Kraken reply",
            extra={
                "method": method,
                "status": response.status_code,
                "elapsed_ms": round((time.monotonic() - started) * 1000),
            },
        )
        return response.status_code, response.content


def _transport_failure(call: _Call, exc: requests.RequestException, timeout: float) -> VenueError:
    """``OrderOutcomeUnknown`` when a state-changing request may have left, else NetworkError."""
    if isinstance(exc, requests.ConnectTimeout):
        reason = f"could not connect within {timeout}s"
    elif isinstance(exc, requests.Timeout):
        reason = f"no reply within {timeout}s"
    elif isinstance(exc, requests.ConnectionError):
        reason = _connection_reason(exc)
    elif isinstance(exc, requests.exceptions.ChunkedEncodingError):
        reason = "reply cut off"
    else:
        reason = type(exc).__name__
    if call.changes_state and not _never_sent(exc):
        return outcome_unknown(call.method, reason, cl_ord_id=call.cl_ord_id)
    return NetworkError(f"{call.method}: {reason}", method=call.method, cl_ord_id=call.cl_ord_id)


def _never_sent(exc: requests.RequestException) -> bool:
    """True when the failure provably came before the request left: no connection was made.

    urllib3 raises ``ConnectTimeoutError`` (and its subclasses ``NewConnectionError`` and
    ``NameResolutionError``: refused, DNS) only while connecting; requests wraps it, directly or
    as the ``reason`` of a ``MaxRetryError``. Anything else may have reached Kraken.
    """
    if isinstance(exc, requests.ConnectTimeout):
        return True
    cause = exc.args[0] if exc.args else None
    return isinstance(cause, ConnectTimeoutError) or isinstance(
        getattr(cause, "reason", None), ConnectTimeoutError
    )


def _aware(method: str, name: str, value: datetime) -> datetime:
    if value.utcoffset() is None:
        raise InvalidArgumentsError(
            f"{method} {name} must be timezone-aware (got a naive datetime)", method=method
        )
    return value


def _rfc3339(method: str, name: str, value: datetime) -> str:
    utc = _aware(method, name, value).astimezone(UTC)
    return utc.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _epoch_bound(
    method: str, name: str, value: TimeBound | None, to_int: Callable[[float], int]
) -> int | str | None:
    if not isinstance(value, datetime):
        return value
    return to_int(_aware(method, name, value).timestamp())


def _connection_reason(exc: requests.ConnectionError) -> str:
    text = str(exc)
    for needle, reason in (
        ("Name or service not known", "DNS lookup failed"),
        ("nodename nor servname", "DNS lookup failed"),
        ("Temporary failure in name resolution", "DNS lookup failed"),
        ("getaddrinfo failed", "DNS lookup failed"),
        ("Connection refused", "connection refused"),
        ("Connection reset", "connection reset"),
        ("Max retries exceeded", "could not connect"),
    ):
        if needle in text:
            return reason
    return "connection failed"


def decode_reply(
    method: str,
    status: int,
    content: bytes,
    *,
    changes_state: bool = False,
    cl_ord_id: str | None = None,
) -> JsonResult:
    """Turn one HTTP reply into Kraken's ``result`` or a typed error (error list beats status).

    ``changes_state``: the call may have acted, so a reply that is not a clean Kraken answer
    (5xx, cut off, not JSON) raises ``OrderOutcomeUnknown`` carrying ``cl_ord_id``.
    """
    payload = _parse_json(content)
    if isinstance(payload, dict):
        errors = payload.get("error") or []
        if not isinstance(errors, list):
            errors = [str(errors)]
        hard = [str(error) for error in errors if str(error).startswith("E")]
        if hard:
            raise error_from_kraken(
                hard,
                method=method,
                http_status=status,
                changes_state=changes_state,
                cl_ord_id=cl_ord_id,
            )
        if errors:
            logger.warning("Kraken warnings", extra={"method": method, "warnings": errors})
    if status != 200:
        raise error_from_http(
            status, method=method, changes_state=changes_state, cl_ord_id=cl_ord_id
        )
    if not isinstance(payload, dict) or "result" not in payload:
        if changes_state:
            raise outcome_unknown(
                method, "malformed reply (no JSON result)", cl_ord_id=cl_ord_id, http_status=status
            )
        raise ServiceUnavailableError(
            f"{method}: malformed reply (no JSON result)",
            http_status=status,
            method=method,
            cl_ord_id=cl_ord_id,
        )
    return payload["result"]


def _parse_json(content: bytes) -> Any:
    try:
        return json.loads(content)
    except ValueError:
        return None
