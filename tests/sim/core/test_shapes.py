"""The sandbox answers in exactly the shapes of Kraken's real payloads (the shared samples)."""

import re
from decimal import Decimal
from typing import Any

from krakked_core.clock import ManualClock
from krakked_core.sim.exchange import Exchange

from .conftest import MakeExchange, load_sample


def shape(value: Any) -> Any:
    """Keys and JSON types, recursively; a list is the shape of its elements (first one)."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def sample_result(name: str) -> Any:
    payload = load_sample(name)
    assert payload["error"] == []
    return payload["result"]


def only(mapping: dict[str, Any]) -> Any:
    return next(iter(mapping.values()))


def test_asset_pairs_entry_when_leveraged_pair_then_shape_equals_sample(exchange: Exchange) -> None:
    ours = exchange.public("AssetPairs", {"pair": "XBTUSD"})["XXBTZUSD"]
    assert shape(ours) == shape(only(sample_result("http_asset_pairs.json")))


def test_ticker_when_asked_then_shape_equals_sample(exchange: Exchange) -> None:
    ours = exchange.public("Ticker", {"pair": "XBTUSD"})
    assert shape(only(ours)) == shape(only(sample_result("http_ticker.json")))


def test_ohlc_when_asked_then_rows_and_last_shaped_like_sample(exchange: Exchange) -> None:
    ours = exchange.public("OHLC", {"pair": "XBTUSD"})
    sample = sample_result("http_ohlc.json")
    assert shape(ours["XXBTZUSD"]) == shape(sample["XBTUSDT"])
    assert shape(ours["last"]) == shape(sample["last"])


def test_trades_when_asked_then_rows_and_last_shaped_like_sample(exchange: Exchange) -> None:
    ours = exchange.public("Trades", {"pair": "XBTUSD", "count": "5"})
    sample = sample_result("http_trades.json")
    assert shape(ours["XXBTZUSD"]) == shape(sample["XBTUSDT"])
    assert isinstance(ours["last"], str) and ours["last"].isdigit()


def test_depth_time_status_when_asked_then_shaped_like_samples(exchange: Exchange) -> None:
    depth = exchange.public("Depth", {"pair": "XBTUSD", "count": "5"})
    assert shape(depth) == {"XXBTZUSD": shape(only(sample_result("http_order_book.json")))}
    assert shape(exchange.public("Time", {})) == shape(sample_result("http_server_time.json"))
    status = exchange.public("SystemStatus", {})
    assert shape(status) == shape(sample_result("http_system_status.json"))
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", status["timestamp"])


def test_balances_when_asked_then_shaped_like_samples(exchange: Exchange) -> None:
    balance = exchange.private("Balance", {})
    assert balance == {"ZUSD": "100000.0000"}
    assert shape(exchange.private("TradeBalance", {})) == shape(
        sample_result("http_spot_trade_balance.json")
    )


def test_orders_and_trades_when_filled_then_shaped_like_samples(
    exchange: Exchange, clock: ManualClock
) -> None:
    added = exchange.private(
        "AddOrder",
        {"pair": "XBTUSD", "type": "buy", "ordertype": "limit", "volume": "0.01", "price": "50000"},
    )
    assert shape(added) == shape(sample_result("http_add_order_spot.json"))
    assert re.fullmatch(r"O[A-Z2-7]{5}-[A-Z2-7]{5}-[A-Z2-7]{6}", added["txid"][0])
    assert added["descr"]["order"] == "buy 0.01000000 XBTUSD @ limit 50000.0"
    opened = exchange.private("OpenOrders", {})
    assert shape(only(opened["open"])) == shape(
        only(sample_result("http_open_orders.json")["open"])
    )
    exchange.private(
        "AddOrder", {"pair": "XBTUSD", "type": "buy", "ordertype": "market", "volume": "0.01"}
    )
    cancelled = exchange.private("CancelOrder", {"txid": added["txid"][0]})
    assert shape(cancelled) == shape(sample_result("http_cancel_order_spot.json"))
    closed = exchange.private("ClosedOrders", {})
    sample_closed = sample_result("http_closed_orders.json")
    assert set(closed) == set(sample_closed) and closed["count"] == 2
    sample_order = shape(only(sample_closed["closed"]))
    assert shape(closed["closed"][added["txid"][0]]) == sample_order
    filled = next(o for o in closed["closed"].values() if o["status"] == "closed")
    assert shape(filled) == {**sample_order, "reason": "NoneType"}  # Kraken: null when filled
    history = exchange.private("TradesHistory", {})
    sample_history = sample_result("http_trades_history.json")
    assert set(history) == set(sample_history)
    assert shape(only(history["trades"])) == shape(only(sample_history["trades"]))
    trade_id = only(history["trades"])["ordertxid"]
    assert re.fullmatch(r"O[A-Z2-7]{5}-[A-Z2-7]{5}-[A-Z2-7]{6}", trade_id)
    assert all(re.fullmatch(r"T[A-Z2-7]{5}-[A-Z2-7]{5}-[A-Z2-7]{6}", t) for t in history["trades"])


def test_ledger_rows_when_trade_then_kraken_fields_and_ids(exchange: Exchange) -> None:
    exchange.private(
        "AddOrder", {"pair": "XBTUSD", "type": "buy", "ordertype": "market", "volume": "0.01"}
    )
    ledger = exchange.private("Ledgers", {})
    assert ledger["count"] == 3  # the starting deposit and the trade's two rows
    for lid, row in ledger["ledger"].items():
        assert re.fullmatch(r"L[A-Z2-7]{5}-[A-Z2-7]{5}-[A-Z2-7]{6}", lid)
        assert set(row) == {
            "refid",
            "time",
            "type",
            "subtype",
            "aclass",
            "asset",
            "amount",
            "fee",
            "balance",
        }
        assert all(isinstance(row[k], str) for k in ("amount", "fee", "balance"))
        Decimal(row["amount"])


def test_ws_items_when_asked_then_keys_of_ws_samples(exchange: Exchange) -> None:
    ticker = exchange.ticker_v2("XXBTZUSD")
    assert set(ticker) == set(load_sample("ws_ticker_snapshot.json")["data"][0])
    assert ticker["symbol"] == "BTC/USD"
    assert ticker["bid"] < ticker["ask"]
    ohlc = exchange.ohlc_v2("XXBTZUSD", 5)
    assert set(load_sample("ws_ohlc_update.json")["data"][0]) <= set(ohlc)
    assert ohlc["interval_begin"].endswith(":00.000000000Z")
    assert ohlc["low"] <= ohlc["open"] <= ohlc["high"]


COST = re.compile(r"-?\d+\.\d{5}")  # cost_decimals 5, as in Kraken's ClosedOrders sample


def test_cost_and_fee_when_filled_then_pair_cost_decimals_and_equal_to_ledger(
    make_exchange: MakeExchange,
) -> None:
    sample = only(sample_result("http_closed_orders.json")["closed"])
    assert COST.fullmatch(sample["cost"]) and COST.fullmatch(sample["fee"])
    exchange = make_exchange(seed=4, history_days=1, starting_balances={"USDT": Decimal(50000)})
    for pair in ("XBTUSD", "XBTUSDT"):  # ZUSD keeps 4 ledger decimals, USDT 8: both cost 5
        exchange.deposit("ZUSD", Decimal(50000))
        exchange.private(
            "AddOrder", {"pair": pair, "type": "buy", "ordertype": "market", "volume": "0.0123"}
        )

    closed = exchange.private("ClosedOrders", {})["closed"].values()
    trades = exchange.private("TradesHistory", {})["trades"].values()
    ledger = exchange.private("Ledgers", {})["ledger"]
    assert len(closed) == 2 and len(trades) >= 2
    for order in closed:
        assert COST.fullmatch(order["cost"]) and COST.fullmatch(order["fee"]), order
    for trade in trades:
        assert COST.fullmatch(trade["cost"]) and COST.fullmatch(trade["fee"]), trade
        assert trade["margin"] == "0.00000"
        quote_row = ledger[trade["ledgers"][1]]
        assert -Decimal(quote_row["amount"]) == Decimal(trade["cost"])
        assert Decimal(quote_row["fee"]) == Decimal(trade["fee"])
