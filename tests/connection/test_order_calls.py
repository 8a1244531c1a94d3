"""The client methods the OMS uses: what each puts in the signed body, and what it refuses."""

import logging
from datetime import UTC, datetime, timedelta, timezone

import pytest

from krakked_core.connection import KrakenRestClient, api_sign
from krakked_core.errors import InvalidArgumentsError
from krakked_core.log import SECRET_SCRUBBER
from tests.connection.conftest import TEST_SECRET
from tests.connection.loopback import LoopbackKraken, ok

ADDED = {"descr": {"order": "buy 0.1 XBTUSD @ limit 100"}, "txid": ["OUF4EM-FRGI2-MQMWZD"]}


def test_real_order_then_no_validate_key_in_the_signed_body(
    client: KrakenRestClient, kraken: LoopbackKraken
) -> None:
    kraken.script("AddOrder", ok(ADDED))

    client.add_order("XBTUSD", "buy", "limit", "0.1", "100", cl_ord_id="krk-1")

    (request,) = kraken.requests
    assert "validate" not in [name for name, _ in request.form]
    assert b"validate" not in request.body
    nonce = dict(request.form)["nonce"]
    assert request.headers["API-Sign"] == api_sign(
        url_path="/0/private/AddOrder", nonce=nonce, postdata=request.body, secret=TEST_SECRET
    )


def test_validate_only_order_then_validate_true(
    client: KrakenRestClient, kraken: LoopbackKraken
) -> None:
    kraken.script("AddOrder", ok({"descr": ADDED["descr"]}))

    client.add_order("XBTUSD", "buy", "limit", "0.1", "100", validate=True)

    assert ("validate", "true") in kraken.requests[0].form


def test_deadline_then_sent_as_rfc3339_utc(
    client: KrakenRestClient, kraken: LoopbackKraken
) -> None:
    kraken.script("AddOrder", ok(ADDED))
    paris = timezone(timedelta(hours=1))

    client.add_order(
        "XBTUSD",
        "buy",
        "limit",
        "0.1",
        "100",
        cl_ord_id="krk-1",
        deadline=datetime(2026, 1, 5, 13, 0, 30, 250000, tzinfo=paris),
    )

    assert ("deadline", "2026-01-05T12:00:30.250Z") in kraken.requests[0].form


def test_naive_deadline_then_refused_before_sending_naming_the_field(
    client: KrakenRestClient, kraken: LoopbackKraken
) -> None:
    naive = datetime(2026, 1, 5, 12, 0, 30)  # noqa: DTZ001 - the bad input under test
    with pytest.raises(InvalidArgumentsError, match="deadline must be timezone-aware"):
        client.add_order("XBTUSD", "buy", "limit", "0.1", "100", deadline=naive)
    assert kraken.requests == []


def test_cancel_order_with_both_ids_then_refused_before_sending(
    client: KrakenRestClient, kraken: LoopbackKraken
) -> None:
    with pytest.raises(InvalidArgumentsError, match="exactly one of txid or cl_ord_id"):
        client.cancel_order(txid="OABC", cl_ord_id="krk-1")
    assert kraken.requests == []


def test_cancel_order_by_txid_then_txid_field(
    client: KrakenRestClient, kraken: LoopbackKraken
) -> None:
    kraken.script("CancelOrder", ok({"count": 1}))

    client.cancel_order(txid="OABC")

    assert kraken.requests[0].form[1:] == [("txid", "OABC")]


def test_open_orders_by_cl_ord_id_then_filter_sent(
    client: KrakenRestClient, kraken: LoopbackKraken
) -> None:
    kraken.script("OpenOrders", ok({"open": {}}))

    client.open_orders(cl_ord_id="krk-1")
    client.open_orders(userref=42)

    assert [r.form[1:] for r in kraken.requests] == [[("cl_ord_id", "krk-1")], [("userref", "42")]]


def test_closed_orders_with_a_datetime_window_then_widened_to_whole_seconds(
    client: KrakenRestClient, kraken: LoopbackKraken
) -> None:
    kraken.script("ClosedOrders", ok({"closed": {}, "count": 0}))
    start = datetime(2026, 1, 5, 12, 0, 0, 900000, tzinfo=UTC)

    client.closed_orders(cl_ord_id="krk-1", start=start, end=start + timedelta(seconds=60))

    epoch = int(datetime(2026, 1, 5, 12, 0, tzinfo=UTC).timestamp())
    assert kraken.requests[0].form[1:] == [
        ("start", str(epoch)),
        ("end", str(epoch + 61)),
        ("cl_ord_id", "krk-1"),
    ]


def test_closed_orders_with_a_naive_bound_then_refused_before_sending(
    client: KrakenRestClient, kraken: LoopbackKraken
) -> None:
    with pytest.raises(InvalidArgumentsError, match="ClosedOrders end must be timezone-aware"):
        client.closed_orders(end=datetime(2026, 1, 5, 12, 0))  # noqa: DTZ001 - the bad input
    assert kraken.requests == []


def test_websockets_token_then_fetched_and_kept_out_of_logs(
    client: KrakenRestClient, kraken: LoopbackKraken, caplog: pytest.LogCaptureFixture
) -> None:
    token = "1Dwc4lzSwNWOAwkMdqhssNNFhs1ed606d1WcF3XfEMw"
    kraken.script("GetWebSocketsToken", ok({"token": token, "expires": 900}))

    assert client.get_websockets_token() == {"token": token, "expires": 900}

    assert kraken.requests[0].path == "/0/private/GetWebSocketsToken"
    assert token not in SECRET_SCRUBBER.scrub(f"subscribing with token {token}")
    with caplog.at_level(logging.INFO):
        logging.getLogger("krakked_core.test").info("token %s", token)
    assert token not in caplog.text
