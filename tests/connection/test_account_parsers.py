import json
import logging
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from krakked_core.connection.parsers.account import (
    epoch_to_utc,
    parse_balance,
    parse_closed_orders,
    parse_ledgers,
    parse_trades_history,
)
from tests.conftest import KRAKEN_SAMPLES


def _sample(name: str) -> object:
    return json.loads((KRAKEN_SAMPLES / name).read_text())["result"]


def test_trades_history_sample_when_parsed_then_exact_decimals_and_utc_times() -> None:
    page = parse_trades_history(_sample("http_trades_history.json"))

    assert page.count == 2 and page.skipped == 0
    buy = next(t for t in page.items if t.trade_id == "TCCCTY-WJ6EO-4FP4VZ")
    assert buy.pair == "XBTUSDT" and buy.base == "XBT" and buy.quote == "USDT"
    assert buy.side == "buy" and buy.order_txid == "O26VBY-ISGAE-JP5TLU"
    assert buy.price == Decimal("29500.50") and buy.cost == Decimal("14750.25")
    assert buy.fee == Decimal("23.60") and buy.volume == Decimal("0.50000000")
    assert buy.time == datetime(2023, 7, 5, 19, 37, 20, 892100, tzinfo=UTC)
    assert buy.ledger_ids == ("L4UESK-KG3EQ-BJM7HJ",)


def test_closed_orders_sample_when_parsed_then_untagged_orders_have_no_userref() -> None:
    page = parse_closed_orders(_sample("http_closed_orders.json"))

    assert page.count == 2
    order = next(o for o in page.items if o.txid == "O5KZFT-GH3AD-LP6TLU")
    assert order.pair == "XBTUSDT" and order.side == "buy" and order.status == "closed"
    assert order.userref is None and order.cl_ord_id is None
    assert order.closed_at == epoch_to_utc("1688590000.5432")


def test_balance_sample_when_parsed_then_codes_normalized() -> None:
    balances = parse_balance(_sample("http_spot_balance.json"))

    assert balances.amounts == {
        "USD": Decimal("200000.00"),
        "XBT": Decimal("0.5"),
        "ETH": Decimal("2.0"),
    }


def test_balance_with_suffix_variants_when_parsed_then_kept_apart() -> None:
    balances = parse_balance({"XXBT": "1", "XBT.F": "0.5", "DOT.S": "10", "ZUSD": "5"})

    assert balances.amounts == {
        "XBT": Decimal(1),
        "XBT.F": Decimal("0.5"),
        "DOT.S": Decimal(10),
        "USD": Decimal(5),
    }


def test_ledgers_when_parsed_then_signed_amounts_and_normalized_assets() -> None:
    result = {
        "ledger": {
            "L1": {
                "refid": "T1",
                "time": 1700000000.5,
                "type": "trade",
                "subtype": "",
                "aclass": "currency",
                "asset": "XXBT",
                "amount": "-0.1",
                "fee": "0.0001",
                "balance": "0.9",
            },
            "L2": {
                "refid": "D1",
                "time": "1700000001",
                "type": "deposit",
                "subtype": "",
                "aclass": "currency",
                "asset": "ZUSD",
                "amount": "1000",
                "fee": "0",
                "balance": "1000",
            },
        },
        "count": 2,
    }
    page = parse_ledgers(result)

    first, second = page.items
    assert (
        first.asset == "XBT" and first.amount == Decimal("-0.1") and first.fee == Decimal("0.0001")
    )
    assert second.asset == "USD" and second.type == "deposit"
    assert second.time == datetime.fromtimestamp(1700000001, tz=UTC)


def test_malformed_rows_when_parsed_then_logged_and_skipped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    result = {
        "trades": {
            "GOOD": {
                "ordertxid": "O1",
                "pair": "XXBTZUSD",
                "time": 1,
                "type": "buy",
                "price": "10",
                "cost": "10",
                "fee": "0",
                "vol": "1",
            },
            "NOPRICE": {
                "ordertxid": "O2",
                "pair": "XXBTZUSD",
                "time": 1,
                "type": "buy",
                "cost": "10",
                "fee": "0",
                "vol": "1",
            },
            "FLOAT": {
                "ordertxid": "O3",
                "pair": "XXBTZUSD",
                "time": 1,
                "type": "buy",
                "price": 10.5,
                "cost": "10",
                "fee": "0",
                "vol": "1",
            },
            "SIDE": {
                "ordertxid": "O4",
                "pair": "XXBTZUSD",
                "time": 1,
                "type": "short",
                "price": "10",
                "cost": "10",
                "fee": "0",
                "vol": "1",
            },
            "NEGATIVE": {
                "ordertxid": "O5",
                "pair": "XXBTZUSD",
                "time": 1,
                "type": "buy",
                "price": "10",
                "cost": "10",
                "fee": "0",
                "vol": "-1",
            },
        },
        "count": 5,
    }
    with caplog.at_level(logging.WARNING):
        page = parse_trades_history(result)

    assert [t.trade_id for t in page.items] == ["GOOD"]
    assert page.items[0].pair == "XBTUSD"
    assert page.skipped == 4
    assert page.skipped_times == (datetime.fromtimestamp(1, tz=UTC),) * 4  # the mark stays before
    assert "skipped 4 malformed" in caplog.text


def test_balance_with_malformed_amount_then_skipped_not_raised() -> None:
    balances = parse_balance({"ZUSD": "10", "XXBT": "abc"})
    assert balances.amounts == {"USD": Decimal(10)}
