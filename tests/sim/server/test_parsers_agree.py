"""The sandbox's wire answers read by the same parsers as Kraken's real samples, with no row lost.

The parsers skip (and log) what they cannot read; here nothing may be skipped, and every
sandbox message must parse to the same type its real sample does.
"""

import asyncio
import json
import logging
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import connect

from krakked_core.clock import ManualClock
from krakked_core.connection.parsers import account, market
from krakked_core.connection.parsers.ws import (
    Heartbeat,
    OhlcMessage,
    Pong,
    StatusMessage,
    SubscriptionAck,
    TickerMessage,
    Unparsed,
    parse_ws_message,
)
from krakked_core.sim import SimSettings
from krakked_core.sim.archive import export_archive
from tests.conftest import KRAKEN_SAMPLES
from tests.sim.server.conftest import MakeSandbox, client_for


def sample_result(name: str) -> Any:
    return json.loads((KRAKEN_SAMPLES / name).read_text())["result"]


def sample_frame(name: str) -> str:
    return (KRAKEN_SAMPLES / name).read_text()


def _no_skips(caplog: pytest.LogCaptureFixture) -> None:
    assert [r.getMessage() for r in caplog.records if "skipped" in r.getMessage()] == []


def test_rest_answers_when_parsed_like_samples_then_nothing_skipped(
    make_sandbox: MakeSandbox, manual_clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    sim = make_sandbox(clock=manual_clock)
    kraken = client_for(sim)
    market_buy = {"pair": "XBTUSD", "type": "buy", "ordertype": "market", "volume": "0.01"}
    kraken.result("AddOrder", {**market_buy, "cl_ord_id": uuid.uuid4().hex[:18]})
    caplog.set_level(logging.WARNING)

    ticker = market.parse_ticker(kraken.public("Ticker", pair="XBTUSD,ETHUSD")["result"])
    ohlc = market.parse_ohlc(kraken.public("OHLC", pair="XBTUSD", interval=5)["result"])
    pairs_raw = kraken.public("AssetPairs")["result"]
    pairs = market.parse_asset_pairs(pairs_raw)
    trades = market.parse_trades(kraken.public("Trades", pair="XBTUSD")["result"])
    balance = account.parse_balance(kraken.result("Balance"))
    closed = account.parse_closed_orders(kraken.result("ClosedOrders"))
    fills = account.parse_trades_history(kraken.result("TradesHistory"))
    ledger = account.parse_ledgers(kraken.result("Ledgers"))

    _no_skips(caplog)
    assert len(ticker) == 2
    assert ohlc.running is not None and ohlc.bars and ohlc.last is not None
    assert len(pairs) == len(pairs_raw)
    assert trades.trades and trades.last
    assert balance.amounts
    assert closed.skipped == fills.skipped == ledger.skipped == 0
    assert len(fills.items) >= 1 and len(ledger.items) >= 3  # deposit + two trade legs
    # The real samples read with the same parsers (sanity of the comparison itself).
    assert market.parse_ticker(sample_result("http_ticker.json"))
    assert market.parse_ohlc(sample_result("http_ohlc.json")).running is not None
    assert market.parse_asset_pairs(sample_result("http_asset_pairs.json"))
    assert account.parse_closed_orders(sample_result("http_closed_orders.json")).skipped == 0
    assert account.parse_trades_history(sample_result("http_trades_history.json")).skipped == 0


def shape(value: Any) -> Any:
    """Keys and JSON types, recursively; a list is the shape of its first element."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    if isinstance(value, bool):
        return "bool"
    return "number" if isinstance(value, int | float) else type(value).__name__


def first(mapping: dict[str, Any]) -> Any:
    return next(iter(mapping.values()))


def test_assets_orders_and_order_entry_when_parsed_or_shaped_like_samples_then_agree(
    make_sandbox: MakeSandbox, manual_clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    sim = make_sandbox(clock=manual_clock)
    kraken = client_for(sim)
    caplog.set_level(logging.WARNING)
    limit = {"pair": "XBTUSD", "type": "buy", "ordertype": "limit", "volume": "0.01"}

    assets_raw = kraken.public("Assets")["result"]
    assets = market.parse_assets(assets_raw)
    added = kraken.result("AddOrder", {**limit, "price": "50000.0"})
    opened = kraken.result("OpenOrders")
    open_orders = account.parse_closed_orders({"closed": opened["open"], "count": 1})
    cancelled = kraken.result("CancelOrder", {"txid": added["txid"][0]})

    _no_skips(caplog)
    assert len(assets) == len(assets_raw) and assets["XXBT"] == "XBT"
    # Kraken has no OpenOrders parser of its own here: its rows are ClosedOrders' rows.
    assert [o.txid for o in open_orders.items] == added["txid"] and open_orders.skipped == 0
    assert shape(first(opened["open"])) == shape(
        first(sample_result("http_open_orders.json")["open"])
    )
    assert shape(added) == shape(sample_result("http_add_order_spot.json"))
    assert shape(cancelled) == shape(sample_result("http_cancel_order_spot.json"))


def test_exported_archive_when_parsed_like_kraken_csv_then_every_row_read(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = SimSettings(seed=3, history_days=1)
    written = export_archive(
        settings, tmp_path, datetime(2026, 3, 2, tzinfo=UTC), pairs=["XBTUSD"], intervals=(1, 60)
    )
    caplog.set_level(logging.WARNING)

    for path in written:
        data = path.read_bytes()
        bars = market.parse_ohlcvt_csv(data, path.name)
        assert market.ohlcvt_file_key(path.name) is not None
        assert len(bars) == len(data.splitlines()) > 0, path.name
    _no_skips(caplog)
    assert sorted(path.name for path in written) == ["XBTUSD_1.csv", "XBTUSD_60.csv"]


def test_ws_frames_when_parsed_like_samples_then_same_types_and_none_unparsed(
    make_sandbox: MakeSandbox, manual_clock: ManualClock
) -> None:
    sim = make_sandbox(clock=manual_clock)

    async def session() -> list[str]:
        frames: list[str] = []
        async with connect(sim.ws_url) as ws:

            async def take(count: int) -> None:
                for _ in range(count):
                    frames.append(str(await asyncio.wait_for(ws.recv(), 5)))

            await take(1)  # status
            for req_id, params in enumerate(
                [
                    {"channel": "ticker", "symbol": ["BTC/USD"]},
                    {"channel": "ohlc", "symbol": ["BTC/USD"], "interval": 1},
                ]
            ):
                await ws.send(
                    json.dumps({"method": "subscribe", "params": params, "req_id": req_id})
                )
                await take(2)  # ack, snapshot
            manual_clock.advance(120)
            await take(2)  # updates (and maybe a heartbeat)
            await ws.send(json.dumps({"method": "ping", "req_id": 9}))
            bad = {"channel": "ticker", "symbol": ["BTC/XYZ"]}
            await ws.send(json.dumps({"method": "subscribe", "params": bad, "req_id": 10}))
            await take(4)
        return frames

    parsed = [parse_ws_message(frame) for frame in asyncio.run(session())]

    assert [p for p in parsed if isinstance(p, Unparsed)] == []
    kinds = {type(p) for p in parsed}
    assert {StatusMessage, SubscriptionAck, TickerMessage, OhlcMessage, Pong} <= kinds
    assert kinds <= {StatusMessage, SubscriptionAck, TickerMessage, OhlcMessage, Pong, Heartbeat}
    refused = [p for p in parsed if isinstance(p, SubscriptionAck) and not p.success]
    assert [(a.req_id, a.error) for a in refused] == [(10, "Currency pair not supported BTC/XYZ")]
    # The same parser on the real samples gives the same types.
    assert isinstance(parse_ws_message(sample_frame("ws_ticker_snapshot.json")), TickerMessage)
    assert isinstance(parse_ws_message(sample_frame("ws_ohlc_update.json")), OhlcMessage)
    assert isinstance(parse_ws_message(sample_frame("ws_subscribe_response.json")), SubscriptionAck)
    assert isinstance(parse_ws_message(sample_frame("ws_pong.json")), Pong)
