"""Definite failures against unknown outcomes, on a real loopback HTTP server.

A state-changing call that may have reached Kraken and got no clean answer must raise
``OrderOutcomeUnknown`` and be sent exactly once; one that provably never left, or that Kraken
answered, is a definite error. Read-only calls keep their retries.
"""

from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from urllib3.exceptions import MaxRetryError, NameResolutionError, ProtocolError

from krakked_core.clock import ManualClock
from krakked_core.connection import KrakenRestClient
from krakked_core.connection.client import _never_sent
from krakked_core.errors import (
    AuthError,
    NetworkError,
    OrderError,
    OrderOutcomeUnknown,
    RateLimitError,
    ServiceUnavailableError,
    TemporaryVenueError,
    VenueError,
)
from krakked_core.secrets import Credentials
from tests.connection.conftest import TEST_KEY, TEST_SECRET, SleepRecorder, make_client
from tests.connection.loopback import (
    HANG,
    RESET,
    LoopbackKraken,
    Reply,
    kraken_error,
    loopback_kraken,
    ok,
    refused_url,
)

ADDED = {"descr": {"order": "buy 0.1 XBTUSD @ market"}, "txid": ["OUF4EM-FRGI2-MQMWZD"]}
Call = Callable[[KrakenRestClient], object]

# Every state-changing call the OMS makes, with the cl_ord_id it carries (if any).
STATE_CHANGING: list[tuple[str, Call, str | None]] = [
    (
        "AddOrder",
        lambda c: c.add_order("XBTUSD", "buy", "market", "0.1", cl_ord_id="krk-7"),
        "krk-7",
    ),
    ("CancelOrder", lambda c: c.cancel_order(cl_ord_id="krk-7"), "krk-7"),
    ("CancelOrder", lambda c: c.cancel_order(txid="OABC"), None),
    ("CancelAll", lambda c: c.cancel_all(), None),
    ("CancelAllOrdersAfter", lambda c: c.cancel_all_orders_after(60), None),
    ("EditOrder", lambda c: c.private("EditOrder", {"txid": "OABC", "volume": "1"}), None),
    ("AddOrderBatch", lambda c: c.private("AddOrderBatch", {"pair": "XBTUSD"}), None),
]
STATE_CHANGING_IDS = [f"{method}-{cl or 'noid'}" for method, _, cl in STATE_CHANGING]

NO_CLEAN_REPLY = {
    "http-502-after-post": Reply(502, "<html>502 Bad Gateway</html>"),
    "http-520-after-post": Reply(520, "<html>web server returned an unknown error</html>"),
    "http-500-empty": Reply(500, b""),
    "200-cut-off-mid-body": Reply(200, {"error": [], "result": ADDED}, delivery="cut"),
    "200-truncated-json": Reply(200, b'{"error": [], "result": {"txid": ["OUF4E'),
    "200-json-without-result": Reply(200, {"error": []}),
    "reset-after-send": RESET,
    "internal-error": kraken_error("EGeneral:Internal error"),
    "deadline-elapsed": kraken_error("EService:Deadline elapsed"),
}


@pytest.fixture
def slow_client(
    kraken: LoopbackKraken,
    tmp_path: Path,
    clock: ManualClock,
    sleeper: SleepRecorder,
    credentials: Credentials,
) -> KrakenRestClient:
    return make_client(kraken.url, tmp_path, clock, sleeper, credentials, timeout=0.3)


def _assert_unknown(error: OrderOutcomeUnknown, method: str, cl_ord_id: str | None) -> None:
    assert not isinstance(error, TemporaryVenueError)
    assert error.method == method and error.cl_ord_id == cl_ord_id
    assert "look it up" in str(error)
    if cl_ord_id:
        assert cl_ord_id in str(error)
    # No secret in the message, and no transport exception (holding the headers) chained.
    for secret in (TEST_KEY, TEST_SECRET):
        assert secret not in str(error) and secret not in repr(error)
    assert error.__cause__ is None and error.__context__ is None


# --- unknown outcomes -----------------------------------------------------------------------


@pytest.mark.parametrize("failure", NO_CLEAN_REPLY.values(), ids=NO_CLEAN_REPLY.keys())
@pytest.mark.parametrize(("method", "call", "cl_ord_id"), STATE_CHANGING, ids=STATE_CHANGING_IDS)
def test_state_changing_call_without_clean_reply_then_outcome_unknown_and_sent_once(
    client: KrakenRestClient,
    kraken: LoopbackKraken,
    sleeper: SleepRecorder,
    method: str,
    call: Call,
    cl_ord_id: str | None,
    failure: Reply,
) -> None:
    kraken.script(method, failure, ok(ADDED))

    with pytest.raises(OrderOutcomeUnknown) as caught:
        call(client)

    _assert_unknown(caught.value, method, cl_ord_id)
    assert len(kraken.calls(method)) == 1
    assert sleeper.sleeps == []


def test_add_order_timing_out_after_send_then_outcome_unknown_and_sent_once(
    slow_client: KrakenRestClient, kraken: LoopbackKraken
) -> None:
    kraken.script("AddOrder", HANG, ok(ADDED))

    with pytest.raises(OrderOutcomeUnknown, match="no reply within") as caught:
        slow_client.add_order("XBTUSD", "buy", "market", "0.1", cl_ord_id="krk-7")

    _assert_unknown(caught.value, "AddOrder", "krk-7")
    (request,) = kraken.requests
    assert ("cl_ord_id", "krk-7") in request.form  # it reached the server whole


def test_http_5xx_after_post_then_status_kept_on_the_error(
    client: KrakenRestClient, kraken: LoopbackKraken
) -> None:
    kraken.script("AddOrder", Reply(502, "<html>502</html>"))

    with pytest.raises(OrderOutcomeUnknown) as caught:
        client.add_order("XBTUSD", "buy", "market", "0.1", cl_ord_id="krk-7")
    assert caught.value.http_status == 502


def test_ambiguous_kraken_error_then_its_string_kept(
    client: KrakenRestClient, kraken: LoopbackKraken
) -> None:
    kraken.script("AddOrder", kraken_error("EGeneral:Internal error"))

    with pytest.raises(OrderOutcomeUnknown) as caught:
        client.add_order("XBTUSD", "buy", "market", "0.1", cl_ord_id="krk-7")
    assert caught.value.kraken_errors == ("EGeneral:Internal error",)


# --- definite failures ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (kraken_error("EService:Unavailable"), ServiceUnavailableError),
        (kraken_error("EService:Busy"), ServiceUnavailableError),
        (kraken_error("EService: Throttled: 1700000000"), RateLimitError),
        (kraken_error("EAPI:Rate limit exceeded"), RateLimitError),
        (kraken_error("EOrder:Insufficient funds"), OrderError),
        (kraken_error("EGeneral:Invalid arguments:volume"), VenueError),
        (kraken_error("EAPI:Invalid key", status=500), AuthError),  # the error list decides
        (kraken_error("EService:Unavailable", status=503), ServiceUnavailableError),
        (Reply(429, ""), RateLimitError),
    ],
)
@pytest.mark.parametrize(("method", "call", "cl_ord_id"), STATE_CHANGING, ids=STATE_CHANGING_IDS)
def test_state_changing_call_with_krakens_own_answer_then_definite_error_sent_once(
    client: KrakenRestClient,
    kraken: LoopbackKraken,
    method: str,
    call: Call,
    cl_ord_id: str | None,
    reply: Reply,
    expected: type[VenueError],
) -> None:
    kraken.script(method, reply, ok(ADDED))

    with pytest.raises(expected) as caught:
        call(client)

    assert not isinstance(caught.value, OrderOutcomeUnknown)
    assert caught.value.cl_ord_id == cl_ord_id  # so the OMS can record it on the order
    assert len(kraken.calls(method)) == 1


def test_add_order_on_refused_connection_then_definite_network_error_not_retried(
    tmp_path: Path, clock: ManualClock, sleeper: SleepRecorder, credentials: Credentials
) -> None:
    client = make_client(refused_url(), tmp_path, clock, sleeper, credentials)

    with pytest.raises(NetworkError) as caught:
        client.add_order("XBTUSD", "buy", "market", "0.1", cl_ord_id="krk-7")

    assert not isinstance(caught.value, OrderOutcomeUnknown)
    assert caught.value.cl_ord_id == "krk-7"
    assert sleeper.sleeps == []  # a trading call is still never repeated by the client


def _wrapped(cause: Exception) -> requests.ConnectionError:
    """A requests failure as the adapter raises it for ``cause`` during connect (no retries)."""
    return requests.ConnectionError(MaxRetryError(None, "/0/private/AddOrder", cause))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("exc", "never_sent"),
    [
        # DNS is not exercised for real: no test may reach a resolver on the internet.
        (_wrapped(NameResolutionError("api.kraken.com", None, OSError("no name"))), True),  # type: ignore[arg-type]
        (requests.ConnectTimeout("connect timed out"), True),
        (requests.ReadTimeout("read timed out"), False),
        (
            requests.ConnectionError(
                ProtocolError("Connection aborted.", ConnectionResetError(104, "reset"))
            ),
            False,
        ),
        (requests.exceptions.ChunkedEncodingError("IncompleteRead"), False),
    ],
)
def test_transport_failures_then_only_connect_failures_count_as_never_sent(
    exc: requests.RequestException, never_sent: bool
) -> None:
    assert _never_sent(exc) is never_sent


# --- read-only calls keep their retries -----------------------------------------------------


@pytest.mark.parametrize("failure", NO_CLEAN_REPLY.values(), ids=NO_CLEAN_REPLY.keys())
@pytest.mark.parametrize(
    ("method", "call"),
    [
        ("Balance", lambda c: c.balance()),
        ("OpenOrders", lambda c: c.open_orders(cl_ord_id="krk-7")),
        ("ClosedOrders", lambda c: c.closed_orders(cl_ord_id="krk-7")),
        ("GetWebSocketsToken", lambda c: c.get_websockets_token()),
    ],
)
def test_read_only_call_without_clean_reply_then_retried_to_the_answer(
    client: KrakenRestClient, kraken: LoopbackKraken, method: str, call: Call, failure: Reply
) -> None:
    kraken.script(method, failure, ok({"token": "tok-abcdefgh-1234", "expires": 900}))

    assert call(client) == {"token": "tok-abcdefgh-1234", "expires": 900}
    assert len(kraken.calls(method)) == 2


def test_read_only_call_timing_out_then_retried_as_network_error(
    slow_client: KrakenRestClient, kraken: LoopbackKraken, sleeper: SleepRecorder
) -> None:
    kraken.script("OpenOrders", HANG)

    with pytest.raises(NetworkError, match="no reply within"):
        slow_client.open_orders(cl_ord_id="krk-7")

    assert len(kraken.calls("OpenOrders")) == 3
    assert sleeper.sleeps == [1.0, 2.0]


def test_public_call_on_reset_then_retried(
    tmp_path: Path, clock: ManualClock, sleeper: SleepRecorder
) -> None:
    with loopback_kraken() as server:
        server.script("Time", RESET, ok({"unixtime": 1}))
        client = make_client(server.url, tmp_path, clock, sleeper, None)

        assert client.server_time() == {"unixtime": 1}
        assert len(server.calls("Time")) == 2
