"""Parsers of Kraken's market endpoints, against the real recorded payloads."""

import logging
from decimal import Decimal

from krakked_core.connection.parsers.market import (
    ohlcvt_file_key,
    parse_asset_pairs,
    parse_assets,
    parse_ohlc,
    parse_ohlcvt_csv,
    parse_ticker,
    parse_trades,
)
from krakked_core.connection.symbols import normalize_asset
from tests.market_data.history.conftest import asset_pairs_payload, sample_result


def test_asset_pairs_sample_maps_every_metadata_field() -> None:
    [entry] = parse_asset_pairs(sample_result("http_asset_pairs.json"))
    meta = entry.metadata
    assert (meta.canonical, meta.rest_symbol, meta.raw_name) == ("XBTUSDT", "XBTUSDT", "XBTUSDT")
    assert (meta.base, meta.quote, meta.ws_symbol) == ("XBT", "USDT", "XBT/USDT")
    assert (meta.price_decimals, meta.volume_decimals, meta.cost_decimals) == (1, 8, 5)
    assert meta.lot_size == Decimal("0.00000001")
    assert meta.ordermin == Decimal("0.00005")
    assert meta.costmin == Decimal("0.5")
    assert meta.tick_size == Decimal("0.1")
    assert meta.status == "online"
    assert entry.spot and not entry.dark_pool


def test_asset_codes_when_legacy_then_normalized() -> None:
    assert [normalize_asset(c) for c in ("XXBT", "ZUSD", "XXDG", "XETH", "SOL")] == [
        "XBT",
        "USD",
        "XDG",
        "ETH",
        "SOL",
    ]
    names = parse_assets({"XXBT": {"altname": "XBT"}, "ZEUS": {"altname": "ZEUS"}})
    assert normalize_asset("ZEUS", names) == "ZEUS"


def test_malformed_pair_when_parsed_then_skipped_and_logged_once(caplog) -> None:
    payload = asset_pairs_payload()
    payload["BROKEN1"] = {"altname": "BROKEN1"}
    payload["BROKEN2"] = "not an object"
    with caplog.at_level(logging.WARNING):
        entries = parse_asset_pairs(payload)
    assert len(entries) == len(payload) - 2
    warnings = [r for r in caplog.records if "AssetPairs" in r.getMessage()]
    assert len(warnings) == 1
    assert "skipped 2" in warnings[0].getMessage()


def test_dark_pool_and_tokenized_pairs_are_flagged() -> None:
    entries = {e.metadata.canonical: e for e in parse_asset_pairs(asset_pairs_payload())}
    assert entries["XBTUSD.d"].dark_pool
    assert not entries["AAPLxUSD"].spot
    assert entries["XDGUSD"].metadata.base == "XDG"


def test_ticker_sample_gives_24h_quote_volume() -> None:
    stats = parse_ticker(sample_result("http_ticker.json"))["XBTUSDT"]
    assert stats.volume_24h == Decimal("163.28908096")
    assert stats.vwap_24h == Decimal("105904.39279")
    assert stats.volume_24h_quote == Decimal("163.28908096") * Decimal("105904.39279")
    assert (stats.bid, stats.ask, stats.last) == (
        Decimal("105944.20000"),
        Decimal("105944.30000"),
        Decimal("105899.40000"),
    )


def test_ohlc_sample_when_parsed_then_running_candle_kept_apart() -> None:
    raw = sample_result("http_ohlc.json")
    page = parse_ohlc(raw)
    rows = raw["XBTUSDT"]
    assert len(page.bars) == len(rows) - 1 == 720
    assert page.running is not None and page.running.time == rows[-1][0]
    assert all(bar.time < page.running.time for bar in page.bars)
    assert page.last == 1762820160 == page.bars[-1].time
    assert [b.time for b in page.bars] == sorted({b.time for b in page.bars})
    first = page.bars[3]
    assert (first.open, first.high, first.vwap, first.volume, first.count) == (
        106038.1,
        106044.3,
        106039.6,
        0.08317981,
        3,
    )


def test_ohlc_rows_when_duplicated_and_unordered_then_deduped_and_sorted() -> None:
    row = ["1.0", "2.0", "0.5", "1.5", "1.2", "3.0", 2]
    result = {
        "XXBTZUSD": [[180, *row], [60, *row], [120, *row], [60, *row], ["bad"], [240, *row]],
        "last": 180,
    }
    page = parse_ohlc(result)
    assert [b.time for b in page.bars] == [60, 120, 180]
    assert page.running is not None and page.running.time == 240


def test_trades_sample_parsed_oldest_first_with_cursor() -> None:
    page = parse_trades(sample_result("http_trades.json"))
    assert len(page.trades) == 1000
    assert page.last == "1762820035982277754"
    times = [t.time for t in page.trades]
    assert times == sorted(times)
    assert page.trades[0].price == 105433.6 and page.trades[0].trade_id == 10218208


def test_ohlcvt_csv_when_parsed_then_vwap_is_typical_price_and_bad_rows_skipped() -> None:
    data = b"1709251200,10,12,9,11,5,3\n1709251260,11,x,10,10.5,1,1\n1709251320,11,13,10,12,2,4\n"
    bars = parse_ohlcvt_csv(data, "XBTUSD_1.csv")
    assert [b.time for b in bars] == [1709251200, 1709251320]
    assert bars[0].vwap == (12 + 9 + 11) / 3
    assert (bars[1].volume, bars[1].count) == (2.0, 4)
    assert ohlcvt_file_key("dir/XBTUSD_60.csv") == ("XBTUSD", 60)
    assert ohlcvt_file_key("README.txt") is None
