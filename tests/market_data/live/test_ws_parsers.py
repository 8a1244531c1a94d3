import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from krakked_core.connection.parsers.ws import (
    Heartbeat,
    OhlcMessage,
    Pong,
    StatusMessage,
    SubscriptionAck,
    TickerMessage,
    Unparsed,
    parse_rfc3339,
    parse_ws_message,
)
from tests.conftest import KRAKEN_SAMPLES


def _sample(name: str) -> str:
    return (Path(KRAKEN_SAMPLES) / name).read_text()


def test_ticker_snapshot_sample_parses_exact_decimals_and_utc_time() -> None:
    message = parse_ws_message(_sample("ws_ticker_snapshot.json"))

    assert isinstance(message, TickerMessage)
    assert message.type == "snapshot"
    (item,) = message.items
    assert item.symbol == "BTC/USD"
    assert item.bid == Decimal("105944.20")
    assert item.ask == Decimal("105944.30")
    assert item.last == Decimal("105899.40")
    assert item.volume == Decimal("163.28908096")
    assert item.vwap == Decimal("105904.39279")
    assert item.timestamp == datetime(2022, 12, 25, 9, 30, 59, 123456, tzinfo=UTC)


def test_ohlc_update_sample_parses_nanosecond_interval_begin() -> None:
    message = parse_ws_message(_sample("ws_ohlc_update.json"))

    assert isinstance(message, OhlcMessage)
    assert message.type == "update"
    (item,) = message.items
    assert item.symbol == "BTC/USD"
    assert item.interval == 1
    assert item.interval_begin == datetime(2023, 10, 4, 16, 25, tzinfo=UTC)
    assert item.close == Decimal("106040.1")
    assert item.volume == Decimal("30927.68066226")
    assert item.trades == 12
    assert item.timestamp is None


def test_subscribe_ack_sample_names_channel_and_symbol() -> None:
    message = parse_ws_message(_sample("ws_subscribe_response.json"))

    assert message == SubscriptionAck(
        method="subscribe",
        req_id=1,
        success=True,
        channel="ticker",
        symbol="BTC/USD",
        interval=None,
        error=None,
    )


def test_failed_subscribe_ack_takes_symbol_from_top_level() -> None:
    raw = {
        "method": "subscribe",
        "req_id": 7,
        "success": False,
        "error": "Currency pair not supported XBT/USDX",
        "symbol": "XBT/USDX",
    }

    message = parse_ws_message(json.dumps(raw))

    assert isinstance(message, SubscriptionAck)
    assert not message.success
    assert message.symbol == "XBT/USDX"
    assert message.error == "Currency pair not supported XBT/USDX"


def test_pong_sample_and_heartbeat_and_status() -> None:
    assert parse_ws_message(_sample("ws_pong.json")) == Pong(req_id=42)
    assert parse_ws_message('{"channel":"heartbeat"}') == Heartbeat()
    status = parse_ws_message(
        '{"channel":"status","type":"update","data":[{"api_version":"v2",'
        '"connection_id":12,"system":"online","version":"2.0.0"}]}'
    )
    assert status == StatusMessage(system="online", api_version="v2", connection_id=12)


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        ('{"channel":"ticker","type":"upd', "malformed_json"),
        ("[1, 2]", "malformed_frame"),
        ('{"channel":"ticker","type":"update","data":[{"symbol":"BTC/USD"}]}', "malformed_ticker"),
        ('{"channel":"ohlc","type":"update","data":{}}', "malformed_ohlc"),
        ('{"channel":"ticker","type":"delta","data":[]}', "malformed_ticker"),
        ('{"channel":"book","type":"update","data":[]}', "unknown_channel_book"),
        ('{"method":"add_order","success":true}', "unknown_method_add_order"),
    ],
)
def test_bad_frames_come_back_unparsed_with_a_kind(raw: str, kind: str) -> None:
    message = parse_ws_message(raw)

    assert isinstance(message, Unparsed)
    assert message.kind == kind


def test_ticker_price_as_string_or_bool_is_malformed() -> None:
    item = json.loads(_sample("ws_ticker_snapshot.json"))["data"][0]
    for bad in ("105944.20", True, None):
        frame = {"channel": "ticker", "type": "update", "data": [{**item, "bid": bad}]}
        assert isinstance(parse_ws_message(json.dumps(frame)), Unparsed)


def test_rfc3339_offsets_convert_to_utc() -> None:
    assert parse_rfc3339("2024-01-01T01:30:00+01:30") == datetime(2024, 1, 1, tzinfo=UTC)
    assert parse_rfc3339("2024-01-01T00:00:00.5Z") == datetime(
        2024, 1, 1, 0, 0, 0, 500000, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("field", "bad"),
    [("trades", -1), ("volume", -2.5), ("close", -1), ("interval", 0), ("vwap", "NaN")],
)
def test_ohlc_item_with_a_negative_or_impossible_number_is_malformed(
    field: str, bad: object
) -> None:
    frame = json.loads(_sample("ws_ohlc_update.json"))
    frame["data"][0][field] = bad
    raw = json.dumps(frame).replace('"NaN"', "NaN")  # a bare NaN, as a broken encoder sends it

    message = parse_ws_message(raw)

    assert isinstance(message, Unparsed)
    assert message.kind == "malformed_ohlc"
    assert field in message.reason


def test_ticker_change_may_be_negative_but_prices_may_not() -> None:
    item = json.loads(_sample("ws_ticker_snapshot.json"))["data"][0]
    falling = {"channel": "ticker", "type": "update", "data": [{**item, "change": -12.5}]}
    negative_ask = {"channel": "ticker", "type": "update", "data": [{**item, "ask": -1}]}

    parsed = parse_ws_message(json.dumps(falling))

    assert isinstance(parsed, TickerMessage) and parsed.items[0].change == Decimal("-12.5")
    assert isinstance(parse_ws_message(json.dumps(negative_ask)), Unparsed)


def test_time_pushed_out_of_range_by_its_offset_is_malformed_not_an_overflow() -> None:
    frame = json.loads(_sample("ws_ohlc_update.json"))
    frame["data"][0]["interval_begin"] = "9999-12-31T23:59:59-01:00"

    message = parse_ws_message(json.dumps(frame))

    assert isinstance(message, Unparsed)
    assert message.kind == "malformed_ohlc"


def test_frame_nested_too_deep_is_malformed_json_not_a_recursion_error() -> None:
    message = parse_ws_message("[" * 200_000 + "]" * 200_000)

    assert isinstance(message, Unparsed)
    assert message.kind == "malformed_json"


@pytest.mark.parametrize("bad", ["1e400", "-1e400", str(10**400)])
def test_number_beyond_the_float_range_is_malformed(bad: str) -> None:
    item = json.loads(_sample("ws_ticker_snapshot.json"))["data"][0]
    frame = json.dumps({"channel": "ticker", "type": "update", "data": [{**item, "change": 0}]})

    message = parse_ws_message(frame.replace('"change": 0', f'"change": {bad}'))

    assert isinstance(message, Unparsed)
    assert "change" in message.reason


def test_one_bad_item_costs_that_item_and_the_good_ones_are_kept() -> None:
    frame = json.loads(_sample("ws_ohlc_update.json"))
    good = frame["data"][0]
    frame["data"] = [good, {**good, "trades": -1}, {**good, "symbol": "ETH/USD"}]

    message = parse_ws_message(json.dumps(frame))

    assert isinstance(message, OhlcMessage)
    assert [item.symbol for item in message.items] == [good["symbol"], "ETH/USD"]
    (rejected,) = message.rejected
    assert rejected.kind == "malformed_ohlc" and "trades" in rejected.reason
