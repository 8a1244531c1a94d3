"""Order replies → domain values, against the real Kraken samples in shared/kraken/samples."""

import json
import logging
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from krakked_core.connection.parsers.account import (
    epoch_to_utc,
    parse_closed_orders,
    parse_open_orders,
)
from krakked_core.connection.parsers.trading import (
    parse_add_order,
    parse_cancel,
    parse_cancel_all_orders_after,
    parse_websockets_token,
)
from krakked_core.errors import OrderOutcomeUnknown, ServiceUnavailableError
from krakked_core.model.account import CancelAck, DeadMansSwitch, OrderAck
from tests.conftest import KRAKEN_SAMPLES


def _sample(name: str) -> object:
    return json.loads((KRAKEN_SAMPLES / name).read_text())["result"]


def test_add_order_sample_then_txid_and_description() -> None:
    assert parse_add_order(_sample("http_add_order_spot.json")) == OrderAck(
        txids=("OUF4EM-FRGI2-MQMWZD",), description="buy 0.01000000 XBTUSD @ limit 50000.0"
    )


def test_validate_only_reply_then_no_txids() -> None:
    reply = {"descr": {"order": "buy 0.01 XBTUSD @ limit 50000.0"}}

    assert parse_add_order(reply, validate=True).txids == ()


@pytest.mark.parametrize(
    "reply",
    [{"descr": {"order": "buy"}}, {"txid": []}, {"txid": "OABC"}, [], None],
    ids=["no-txid", "empty-txid", "txid-not-a-list", "list", "none"],
)
def test_real_order_reply_without_txid_then_outcome_unknown(reply: object) -> None:
    with pytest.raises(OrderOutcomeUnknown) as caught:
        parse_add_order(reply, cl_ord_id="krk-1")

    assert caught.value.method == "AddOrder" and caught.value.cl_ord_id == "krk-1"


def test_open_orders_sample_then_orders_with_limit_and_nothing_filled() -> None:
    page = parse_open_orders(_sample("http_open_orders.json"))

    assert page.skipped == 0 and page.count == 2
    order = next(o for o in page.items if o.txid == "O26VBY-ISGAE-JP5TLU")
    assert (order.pair, order.side, order.status, order.order_type) == (
        "XBTUSDT",
        "buy",
        "open",
        "limit",
    )
    assert order.volume == Decimal("0.50000000") and order.filled_volume == 0
    assert order.limit_price == Decimal("29500.0") and order.average_price is None
    assert order.opened_at == epoch_to_utc("1688583840.8648") and order.closed_at is None
    assert order.userref is None and order.cl_ord_id is None
    stop = next(o for o in page.items if o.txid == "OYEQF4-FDE4C-NMUYUI")
    assert stop.userref == 123456 and stop.order_type == "stop-loss" and stop.limit_price is None


def test_closed_orders_sample_then_fills_fees_and_reason() -> None:
    page = parse_closed_orders(_sample("http_closed_orders.json"))

    market = next(o for o in page.items if o.txid == "OCLOSED-2-TESTID")
    assert market.order_type == "market" and market.limit_price is None
    assert market.filled_volume == Decimal("1.00000000")
    assert market.average_price == Decimal("1850.0")
    assert (market.cost, market.fee) == (Decimal("1850.00000"), Decimal("2.77500"))
    assert market.reason == "User requested"


def test_order_tagged_with_cl_ord_id_then_kept() -> None:
    result = _sample("http_open_orders.json")
    assert isinstance(result, dict)
    row = dict(
        result["open"]["O26VBY-ISGAE-JP5TLU"], cl_ord_id="6d1b345e-2821-40e2-ad83-4ecb18a06876"
    )

    (order,) = parse_open_orders({"open": {"OX": row}}).items

    assert order.cl_ord_id == "6d1b345e-2821-40e2-ad83-4ecb18a06876"


def test_malformed_open_order_row_then_logged_and_skipped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    result = _sample("http_open_orders.json")
    assert isinstance(result, dict)
    rows = dict(result["open"])
    rows["OBAD"] = {"descr": {"pair": "XBTUSDT", "type": "buy"}, "vol": "nope"}

    with caplog.at_level(logging.WARNING):
        page = parse_open_orders({"open": rows})

    assert {o.txid for o in page.items} == {"O26VBY-ISGAE-JP5TLU", "OYEQF4-FDE4C-NMUYUI"}
    assert page.skipped == 1 and "OBAD" in caplog.text


def test_cancel_order_sample_then_count() -> None:
    assert parse_cancel(_sample("http_cancel_order_spot.json")) == CancelAck(count=1)


@pytest.mark.parametrize("reply", [{}, {"count": "x"}, {"count": -1}, None])
def test_unreadable_cancel_reply_then_outcome_unknown(reply: object) -> None:
    with pytest.raises(OrderOutcomeUnknown, match="CancelAll"):
        parse_cancel(reply, method="CancelAll")


def test_cancel_all_orders_after_then_trigger_time_or_disarmed() -> None:
    armed = parse_cancel_all_orders_after(
        {"currentTime": "2023-03-24T17:41:56Z", "triggerTime": "2023-03-24T17:42:56Z"}
    )
    disarmed = parse_cancel_all_orders_after(
        {"currentTime": "2023-03-24T17:41:56Z", "triggerTime": "0"}
    )

    now = datetime(2023, 3, 24, 17, 41, 56, tzinfo=UTC)
    assert armed == DeadMansSwitch(server_time=now, trigger_time=now + timedelta(seconds=60))
    assert disarmed.trigger_time is None


def test_unreadable_cancel_all_orders_after_reply_then_outcome_unknown() -> None:
    with pytest.raises(OrderOutcomeUnknown, match="CancelAllOrdersAfter"):
        parse_cancel_all_orders_after({"currentTime": "yesterday", "triggerTime": "0"})


def test_websockets_token_then_secret_with_lifetime() -> None:
    token = parse_websockets_token({"token": "1Dwc4lzSwNWOAwkMdqhssNNFhs1ed606d1", "expires": 900})

    assert token.token.get_secret_value() == "1Dwc4lzSwNWOAwkMdqhssNNFhs1ed606d1"
    assert token.expires_in == timedelta(seconds=900)
    assert "1Dwc4lz" not in repr(token)


@pytest.mark.parametrize(
    "reply", [{"token": "", "expires": 900}, {"token": "secret-tok-1234"}, {"expires": 9}, []]
)
def test_unreadable_websockets_token_then_temporary_error_without_the_token(reply: object) -> None:
    with pytest.raises(ServiceUnavailableError) as caught:
        parse_websockets_token(reply)

    assert "secret-tok" not in str(caught.value)
