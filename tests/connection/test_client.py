from decimal import Decimal
from pathlib import Path

import pytest
import requests

from krakked_core.clock import ManualClock
from krakked_core.connection import KrakenRestClient, api_sign
from krakked_core.connection.client import _connection_reason
from krakked_core.errors import (
    AuthError,
    InvalidArgumentsError,
    InvalidNonceError,
    NetworkError,
    NoCredentialsError,
    OrderError,
    OrderOutcomeUnknown,
    RateLimitError,
    ServiceUnavailableError,
)
from tests.connection.conftest import TEST_KEY, TEST_SECRET, SleepRecorder, make_client
from tests.connection.loopback import (
    LoopbackKraken,
    Reply,
    kraken_error,
    ok,
    refused_url,
    silent_url,
)

BALANCE = {"ZUSD": "171288.6158", "XXBT": "0.0000000000"}
UNAVAILABLE = kraken_error("EService:Unavailable")


# --- decoding and signing on the wire -------------------------------------------------------


def test_public_call_then_get_with_params_and_result_decoded(
    client: KrakenRestClient, kraken: LoopbackKraken
) -> None:
    kraken.script("Ticker", ok({"XXBTZUSD": {"c": ["30000.1", "0.1"]}}))

    result = client.ticker(["XBTUSD", "ETHUSD"])

    assert result == {"XXBTZUSD": {"c": ["30000.1", "0.1"]}}
    (request,) = kraken.requests
    assert (request.verb, request.path, request.query) == (
        "GET",
        "/0/public/Ticker",
        {"pair": "XBTUSD,ETHUSD"},
    )
    assert "API-Key" not in request.headers


def test_private_call_then_signed_post_whose_signature_covers_the_bytes_sent(
    client: KrakenRestClient, kraken: LoopbackKraken
) -> None:
    kraken.script("Balance", ok(BALANCE))

    assert client.balance() == BALANCE

    (request,) = kraken.requests
    nonce = dict(request.form)["nonce"]
    assert request.verb == "POST" and request.path == "/0/private/Balance"
    assert request.body == f"nonce={nonce}".encode()
    assert request.headers["API-Key"] == TEST_KEY
    assert request.headers["API-Sign"] == api_sign(
        url_path="/0/private/Balance", nonce=nonce, postdata=request.body, secret=TEST_SECRET
    )


def test_add_order_then_nonce_first_fields_in_order_and_decimals_plain(
    client: KrakenRestClient, kraken: LoopbackKraken
) -> None:
    kraken.script(
        "AddOrder", ok({"descr": {"order": "buy 1.25 XBTUSD @ limit 37500"}, "txid": ["OABC"]})
    )

    client.add_order(
        "XBTUSD",
        "buy",
        "limit",
        Decimal("1.25"),
        Decimal("3.75E+4"),
        cl_ord_id="krk-1",
        oflags=["post"],
        timeinforce="GTC",
        validate=True,
    )

    (request,) = kraken.requests
    names = [name for name, _ in request.form]
    assert names == [
        "nonce",
        "pair",
        "type",
        "ordertype",
        "volume",
        "price",
        "cl_ord_id",
        "oflags",
        "timeinforce",
        "validate",
    ]
    form = dict(request.form)
    assert (form["volume"], form["price"], form["validate"]) == ("1.25", "37500", "true")
    assert request.headers["API-Sign"] == api_sign(
        url_path="/0/private/AddOrder",
        nonce=form["nonce"],
        postdata=request.body,
        secret=TEST_SECRET,
    )


def test_add_order_with_userref_and_cl_ord_id_then_refused_before_sending(
    client: KrakenRestClient, kraken: LoopbackKraken
) -> None:
    with pytest.raises(InvalidArgumentsError, match="not both"):
        client.add_order("XBTUSD", "buy", "limit", "1", "100", userref=7, cl_ord_id="krk-1")

    assert kraken.requests == []


def test_cancel_order_without_an_id_then_refused_before_sending(
    client: KrakenRestClient, kraken: LoopbackKraken
) -> None:
    with pytest.raises(InvalidArgumentsError):
        client.cancel_order()
    assert kraken.requests == []


def test_successive_private_calls_then_nonces_increase(
    client: KrakenRestClient, kraken: LoopbackKraken
) -> None:
    kraken.script("Balance", ok(BALANCE))
    kraken.script("OpenOrders", ok({"open": {}}))

    client.balance()
    client.open_orders(trades=True, userref=5)
    client.balance()

    nonces = [int(dict(r.form)["nonce"]) for r in kraken.requests]
    assert nonces == sorted(nonces) and len(set(nonces)) == 3
    assert kraken.requests[1].form[1:] == [("trades", "true"), ("userref", "5")]


@pytest.mark.parametrize(
    ("call", "method", "expected"),
    [
        (lambda c: c.server_time(), "Time", {}),
        (lambda c: c.system_status(), "SystemStatus", {}),
        (lambda c: c.assets(), "Assets", {}),
        (lambda c: c.asset_pairs(), "AssetPairs", {}),
        (lambda c: c.asset_pairs(["XBTUSD"]), "AssetPairs", {"pair": "XBTUSD"}),
        (
            lambda c: c.ohlc("XBTUSD", 60, since=1700000000),
            "OHLC",
            {"pair": "XBTUSD", "interval": "60", "since": "1700000000"},
        ),
        (lambda c: c.trades("XBTUSD", count=10), "Trades", {"pair": "XBTUSD", "count": "10"}),
        (lambda c: c.depth("XBTUSD"), "Depth", {"pair": "XBTUSD"}),
    ],
)
def test_public_endpoint_methods_then_krakens_names_and_params(
    client: KrakenRestClient, kraken: LoopbackKraken, call, method: str, expected: dict[str, str]
) -> None:
    kraken.script(method, ok({"x": 1}))

    assert call(client) == {"x": 1}
    assert kraken.requests[-1].path == f"/0/public/{method}"
    assert kraken.requests[-1].query == expected


@pytest.mark.parametrize(
    ("call", "method", "expected"),
    [
        (lambda c: c.balance_ex(), "BalanceEx", []),
        (lambda c: c.trade_balance(), "TradeBalance", []),
        (
            lambda c: c.closed_orders(ofs=50, cl_ord_id="a"),
            "ClosedOrders",
            [("ofs", "50"), ("cl_ord_id", "a")],
        ),
        (lambda c: c.query_orders(["OA", "OB"]), "QueryOrders", [("txid", "OA,OB")]),
        (
            lambda c: c.trades_history(start=1, end=2),
            "TradesHistory",
            [("start", "1"), ("end", "2")],
        ),
        (lambda c: c.query_trades(["TA"]), "QueryTrades", [("txid", "TA")]),
        (lambda c: c.ledgers(ofs=0, type="trade"), "Ledgers", [("ofs", "0"), ("type", "trade")]),
        (lambda c: c.cancel_order(cl_ord_id="krk-1"), "CancelOrder", [("cl_ord_id", "krk-1")]),
        (lambda c: c.cancel_all(), "CancelAll", []),
        (lambda c: c.cancel_all_orders_after(60), "CancelAllOrdersAfter", [("timeout", "60")]),
    ],
)
def test_private_endpoint_methods_then_krakens_names_and_fields(
    client: KrakenRestClient,
    kraken: LoopbackKraken,
    call,
    method: str,
    expected: list[tuple[str, str]],
) -> None:
    kraken.script(method, ok({"x": 1}))

    assert call(client) == {"x": 1}
    assert kraken.requests[-1].path == f"/0/private/{method}"
    assert kraken.requests[-1].form[1:] == expected


def test_private_call_without_credentials_then_no_credentials_error(
    kraken: LoopbackKraken, tmp_path: Path, clock: ManualClock, sleeper: SleepRecorder
) -> None:
    client = make_client(kraken.url, tmp_path, clock, sleeper, None)

    with pytest.raises(NoCredentialsError):
        client.balance()
    assert kraken.requests == []


# --- retry and no-retry ---------------------------------------------------------------------


def test_public_call_on_http_503_then_retried_with_backoff(
    client: KrakenRestClient, kraken: LoopbackKraken, sleeper: SleepRecorder
) -> None:
    kraken.script("Time", Reply(503, "<html>busy</html>"), ok({"unixtime": 1}))

    assert client.server_time() == {"unixtime": 1}
    assert len(kraken.requests) == 2
    assert 1.0 in sleeper.sleeps  # the backoff (the public throttle adds its own 1 s spacing)


def test_read_only_private_call_on_service_unavailable_then_retried(
    client: KrakenRestClient, kraken: LoopbackKraken
) -> None:
    kraken.script("Balance", UNAVAILABLE, ok(BALANCE))

    assert client.balance() == BALANCE
    assert len(kraken.calls("Balance")) == 2


def test_temporary_failure_that_persists_then_error_after_all_attempts(
    client: KrakenRestClient, kraken: LoopbackKraken, sleeper: SleepRecorder
) -> None:
    kraken.script("Balance", UNAVAILABLE)

    with pytest.raises(ServiceUnavailableError) as caught:
        client.balance()

    assert len(kraken.requests) == 3
    assert sleeper.sleeps == [1.0, 2.0]
    assert caught.value.kraken_errors == ("EService:Unavailable",)


@pytest.mark.parametrize(
    ("method", "call"),
    [
        ("AddOrder", lambda c: c.add_order("XBTUSD", "buy", "market", "0.1")),
        ("CancelOrder", lambda c: c.cancel_order(txid="OABC")),
        ("CancelAll", lambda c: c.cancel_all()),
        ("CancelAllOrdersAfter", lambda c: c.cancel_all_orders_after(60)),
    ],
)
@pytest.mark.parametrize(
    "failure", [Reply(503, "gateway"), UNAVAILABLE, kraken_error("EAPI:Rate limit exceeded")]
)
def test_trading_call_on_temporary_failure_then_sent_once_never_retried(
    client: KrakenRestClient, kraken: LoopbackKraken, method: str, call, failure: Reply
) -> None:
    kraken.script(method, failure, ok({"count": 1}))

    with pytest.raises((OrderOutcomeUnknown, ServiceUnavailableError, RateLimitError)):
        call(client)

    assert len(kraken.calls(method)) == 1


def test_trading_call_timing_out_then_outcome_unknown_and_sent_once(
    tmp_path: Path, clock: ManualClock, sleeper: SleepRecorder, credentials
) -> None:
    # The listener never accepts, but the kernel completes the handshake: the POST is sent.
    with silent_url() as url:
        client = make_client(url, tmp_path, clock, sleeper, credentials, timeout=0.2)

        with pytest.raises(OrderOutcomeUnknown, match="no reply") as caught:
            client.add_order("XBTUSD", "buy", "market", "0.1", cl_ord_id="krk-1")

    assert caught.value.cl_ord_id == "krk-1"
    assert sleeper.sleeps == []


@pytest.mark.parametrize(
    "error",
    [
        "EAPI:Invalid key",
        "EAPI:Invalid signature",
        "EGeneral:Permission denied",
        "EGeneral:Temporary lockout",
    ],
)
def test_auth_error_then_raised_at_once_never_retried(
    client: KrakenRestClient, kraken: LoopbackKraken, error: str
) -> None:
    kraken.script("Balance", kraken_error(error), ok(BALANCE))

    with pytest.raises(AuthError):
        client.balance()
    assert len(kraken.requests) == 1


def test_invalid_nonce_then_own_error_never_retried(
    client: KrakenRestClient, kraken: LoopbackKraken
) -> None:
    kraken.script("Balance", kraken_error("EAPI:Invalid nonce"), ok(BALANCE))

    with pytest.raises(InvalidNonceError):
        client.balance()
    assert len(kraken.requests) == 1


def test_order_rejection_then_order_error_with_krakens_string(
    client: KrakenRestClient, kraken: LoopbackKraken
) -> None:
    kraken.script("AddOrder", kraken_error("EOrder:Insufficient funds"))

    with pytest.raises(OrderError) as caught:
        client.add_order("XBTUSD", "buy", "market", "100")
    assert caught.value.kraken_errors == ("EOrder:Insufficient funds",)
    assert caught.value.method == "AddOrder"


def test_rate_limited_read_then_backs_off_and_counter_marked_full(
    client: KrakenRestClient, kraken: LoopbackKraken, sleeper: SleepRecorder, tmp_path: Path
) -> None:
    kraken.script("Balance", kraken_error("EAPI:Rate limit exceeded"), ok(BALANCE))

    assert client.balance() == BALANCE

    assert sleeper.sleeps == [5.0]
    # Kraken said full: the shared counter was set to 20 and has drained 5 s × 0.5 before +1
    assert '"counter": 18.5' in (tmp_path / "ratelimit.state").read_text()


def test_http_429_on_public_call_then_rate_limit_backoff_and_retry(
    client: KrakenRestClient, kraken: LoopbackKraken, sleeper: SleepRecorder
) -> None:
    kraken.script("Time", Reply(429, ""), ok({"unixtime": 1}))

    assert client.server_time() == {"unixtime": 1}
    assert 5.0 in sleeper.sleeps


def test_error_field_on_http_500_then_error_field_decides(
    client: KrakenRestClient, kraken: LoopbackKraken
) -> None:
    kraken.script("Balance", kraken_error("EAPI:Invalid key", status=500))

    with pytest.raises(AuthError) as caught:
        client.balance()
    assert caught.value.http_status == 500
    assert len(kraken.requests) == 1


def test_connection_refused_then_network_error_after_retries(
    tmp_path: Path, clock: ManualClock, sleeper: SleepRecorder, credentials
) -> None:
    client = make_client(refused_url(), tmp_path, clock, sleeper, credentials)

    with pytest.raises(NetworkError, match=r"connection refused|could not connect"):
        client.balance()
    assert sleeper.sleeps == [1.0, 2.0]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (
            "Failed to resolve 'api.kraken.com' ([Errno -2] Name or service not known)",
            "DNS lookup failed",
        ),
        ("[Errno -3] Temporary failure in name resolution", "DNS lookup failed"),
        ("NewConnectionError: [Errno 111] Connection refused", "connection refused"),
        (
            "('Connection aborted.', ConnectionResetError(104, 'Connection reset by peer'))",
            "connection reset",
        ),
    ],
)
def test_connection_failure_texts_then_plain_reasons(text: str, reason: str) -> None:
    # DNS is not exercised for real: no test may reach a resolver on the internet.
    assert _connection_reason(requests.ConnectionError(text)) == reason
