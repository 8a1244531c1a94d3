"""``KrakenRestClient``: Kraken's REST API, one method per endpoint, in Kraken's own vocabulary.

Methods return the decoded ``result`` as Kraken sent it (strings for numbers); parsers into
domain types live elsewhere. Failures arrive as the typed errors of ``krakked_core.errors``.
The key, the secret and every ``API-Sign`` value stay out of logs, reprs and exceptions:
transport exceptions (which hold the request and its headers) are never chained.
"""

import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import requests

from krakked_core.connection.errors import error_from_http, error_from_kraken
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
)
from krakked_core.log import SECRET_SCRUBBER
from krakked_core.secrets import Credentials

logger = logging.getLogger(__name__)

JsonResult = Any
Amount = Decimal | str | int


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
    ) -> None:
        self._base_url = base_url.rstrip("/")
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
        return self._with_retry(method, lambda: self._send_public(method, query), retryable=True)

    def private(self, method: str, data: FormFields | None = None) -> JsonResult:
        """Signed POST ``/0/private/<method>``; only read-only methods are ever retried."""
        if self._credentials is None:
            raise NoCredentialsError(f"{method} is a private call and no credentials were given")
        fields = list(data.items() if isinstance(data, Mapping) else (data or ()))
        return self._with_retry(
            method, lambda: self._send_private(method, fields), retryable=may_retry_private(method)
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

    def open_orders(self, **filters: Any) -> JsonResult:
        """``OpenOrders``; filters as Kraken names them (``trades``, ``userref``, ``cl_ord_id``)."""
        return self.private("OpenOrders", filters)

    def closed_orders(
        self,
        ofs: int | None = None,
        start: int | str | None = None,
        end: int | str | None = None,
        userref: int | None = None,
        cl_ord_id: str | None = None,
    ) -> JsonResult:
        data = {"ofs": ofs, "start": start, "end": end, "userref": userref, "cl_ord_id": cl_ord_id}
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
        validate: bool = False,
    ) -> JsonResult:
        """``AddOrder``; ``userref`` and ``cl_ord_id`` are mutually exclusive (Kraken's rule)."""
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
                return call()
            except TemporaryVenueError as exc:
                error = exc
            if attempt + 1 >= attempts:
                raise error
            delay = self._retry.delay(error, attempt)
            logger.warning(
                "temporary Kraken failure, retrying",
                extra={"method": method, "error": str(error), "delay_seconds": delay},
            )
            self._sleep(delay)
        raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover

    def _send_public(self, method: str, query: dict[str, str]) -> JsonResult:
        self._throttle.acquire()
        url = f"{self._base_url}/0/public/{method}"
        status, content = self._transmit("GET", url, method, params=query)
        return decode_reply(method, status, content)

    def _send_private(self, method: str, fields: list[tuple[str, Any]]) -> JsonResult:
        assert self._credentials is not None  # checked by private()
        self._limiter.acquire(method)
        path = f"/0/private/{method}"
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
                "POST", self._base_url + path, method, data=body.encode(), headers=headers
            )
        try:
            return decode_reply(method, status, content)
        except RateLimitError:
            self._limiter.note_rate_limited()
            raise

    def _transmit(self, verb: str, url: str, method: str, **kwargs: Any) -> tuple[int, bytes]:
        """Send one request; a transport failure becomes a NetworkError with nothing attached."""
        started = time.monotonic()
        failure: NetworkError | None = None
        try:
            response = self._session.request(verb, url, timeout=self._timeout, **kwargs)
        except requests.Timeout:
            failure = NetworkError(f"{method}: no reply within {self._timeout}s", method=method)
        except requests.ConnectionError as exc:
            failure = NetworkError(f"{method}: {_connection_reason(exc)}", method=method)
        except requests.RequestException as exc:
            failure = NetworkError(f"{method}: {type(exc).__name__}", method=method)
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


def decode_reply(method: str, status: int, content: bytes) -> JsonResult:
    """Turn one HTTP reply into Kraken's ``result`` or a typed error (error list beats status)."""
    payload = _parse_json(content)
    if isinstance(payload, dict):
        errors = payload.get("error") or []
        if not isinstance(errors, list):
            errors = [str(errors)]
        hard = [str(error) for error in errors if str(error).startswith("E")]
        if hard:
            raise error_from_kraken(hard, method=method, http_status=status)
        if errors:
            logger.warning("Kraken warnings", extra={"method": method, "warnings": errors})
    if status != 200:
        raise error_from_http(status, method=method)
    if not isinstance(payload, dict) or "result" not in payload:
        raise ServiceUnavailableError(
            f"{method}: malformed reply (no JSON result)", http_status=status, method=method
        )
    return payload["result"]


def _parse_json(content: bytes) -> Any:
    try:
        return json.loads(content)
    except ValueError:
        return None
