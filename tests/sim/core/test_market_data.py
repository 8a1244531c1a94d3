"""Public market data: OHLC windows and aggregation, Trades that rebuild candles, determinism."""

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from krakked_core.clock import ManualClock
from krakked_core.sim.errors import SimError
from krakked_core.sim.exchange import Exchange
from krakked_core.sim.settings import SimSettings

from .conftest import START, MakeExchange, load_sample


def all_trades(exchange: Exchange, pair: str, since: int) -> list[list[object]]:
    """Every public trade after ``since`` (ns), paging with Kraken's ``last`` cursor."""
    rows: list[list[object]] = []
    cursor = str(since)
    while True:
        page = exchange.public("Trades", {"pair": pair, "since": cursor})
        key = next(k for k in page if k != "last")
        rows.extend(page[key])
        if len(page[key]) < 1000:
            return rows
        cursor = page["last"]


def test_ohlc_when_history_longer_than_720_then_720_committed_and_running_row(
    exchange: Exchange,
) -> None:
    result = exchange.public("OHLC", {"pair": "XBTUSD", "interval": "1", "since": "0"})
    rows = result["XXBTZUSD"]
    now = int(START.timestamp())
    sample = load_sample("http_ohlc.json")["result"]
    sample_rows = next(value for key, value in sample.items() if key != "last")
    assert len(rows) == len(sample_rows) == 721  # Kraken: 720 committed + the running one
    assert rows[-1][0] == now - now % 60  # the running candle is always the last row
    assert result["last"] == rows[-2][0]  # the start of the last committed candle
    assert sample["last"] == sample_rows[-2][0]  # as in Kraken's own answer
    assert [b[0] - a[0] for a, b in itertools.pairwise(rows)] == [60] * 720


def test_ohlc_when_since_given_then_only_newer_rows_and_running(exchange: Exchange) -> None:
    first = exchange.public("OHLC", {"pair": "XBTUSD"})
    since = first["last"]
    again = exchange.public("OHLC", {"pair": "XBTUSD", "since": str(since)})
    assert [row[0] for row in again["XXBTZUSD"]] == [first["XXBTZUSD"][-1][0]]


def test_ohlc_when_daily_then_bounded_by_history_window(make_exchange: MakeExchange) -> None:
    exchange = make_exchange(history_days=5)
    rows = exchange.public("OHLC", {"pair": "ETHUSD", "interval": "1440"})["XETHZUSD"]
    assert 5 <= len(rows) <= 6
    assert rows[0][0] % 86400 == 0


@pytest.mark.parametrize("interval", ["2", "abc", "0", "720"])
def test_ohlc_when_interval_invalid_then_invalid_arguments(
    exchange: Exchange, interval: str
) -> None:
    with pytest.raises(SimError) as err:
        exchange.public("OHLC", {"pair": "XBTUSD", "interval": interval})
    assert err.value.kraken_error.startswith("EGeneral:Invalid arguments")


@pytest.mark.parametrize("method", ["OHLC", "Trades", "Depth", "Ticker", "AssetPairs"])
def test_market_data_when_pair_unknown_then_unknown_asset_pair(
    exchange: Exchange, method: str
) -> None:
    with pytest.raises(SimError) as err:
        exchange.public(method, {"pair": "NOPEUSD"})
    assert err.value.kraken_error == "EQuery:Unknown asset pair"


def test_trades_when_minute_rebuilt_then_equals_its_1m_candle(exchange: Exchange) -> None:
    rows = exchange.public("OHLC", {"pair": "XBTUSD", "interval": "1"})["XXBTZUSD"]
    start = rows[0][0]
    trades = all_trades(exchange, "XBTUSD", start * 10**9 - 1)
    by_minute: dict[int, list[list[object]]] = {}
    for trade in trades:
        by_minute.setdefault(int(float(str(trade[2]))) // 60 * 60, []).append(trade)
    previous_close = None
    for time, o, h, low, c, vwap, volume, count in rows:
        minute = by_minute.get(time, [])
        assert count == len(minute)
        if minute:
            prices = [Decimal(str(t[0])) for t in minute]
            volumes = [Decimal(str(t[1])) for t in minute]
            assert (Decimal(o), Decimal(c)) == (prices[0], prices[-1])
            assert (Decimal(h), Decimal(low)) == (max(prices), min(prices))
            assert Decimal(volume) == sum(volumes)
            exact = sum((p * v for p, v in zip(prices, volumes, strict=True)), Decimal(0)) / sum(
                volumes, Decimal(0)
            )
            assert abs(Decimal(vwap) - exact) <= Decimal("0.05")  # rounded to the price decimals
        else:
            assert o == h == low == c == (previous_close or c) and Decimal(volume) == 0
        previous_close = c


def test_ohlc_when_5m_and_60m_then_aggregates_of_1m(exchange: Exchange) -> None:
    ones = exchange.public("OHLC", {"pair": "SOLUSD", "interval": "1"})["SOLUSD"]
    for interval in (5, 60):
        bigger = exchange.public("OHLC", {"pair": "SOLUSD", "interval": str(interval)})["SOLUSD"]
        for row in bigger[-3:-1]:  # committed buckets wholly inside the 1m window
            inside = [r for r in ones if row[0] <= r[0] < row[0] + interval * 60]
            traded = [r for r in inside if r[7]]
            assert row[7] == sum(r[7] for r in inside)
            assert Decimal(row[6]) == sum(Decimal(r[6]) for r in inside)
            if traded:
                assert row[1] == traded[0][1] and row[4] == traded[-1][4]
                assert Decimal(row[2]) == max(Decimal(r[2]) for r in traded)
                assert Decimal(row[3]) == min(Decimal(r[3]) for r in traded)


def test_prices_when_same_seed_different_start_then_identical_overlapping_bars() -> None:
    early = Exchange(SimSettings(seed=3, history_days=2), ManualClock(START))
    late = Exchange(SimSettings(seed=3, history_days=2), ManualClock(START + timedelta(hours=5)))
    early_rows = {r[0]: r for r in early.public("OHLC", {"pair": "XDGUSD"})["XXDGZUSD"][:-1]}
    late_rows = late.public("OHLC", {"pair": "XDGUSD", "since": "0"})["XXDGZUSD"]
    overlap = [r for r in late_rows if r[0] in early_rows]
    assert len(overlap) > 400
    assert all(early_rows[r[0]] == r for r in overlap)
    other = Exchange(SimSettings(seed=4, history_days=2), ManualClock(START))
    assert other.public("OHLC", {"pair": "XDGUSD"})["XXDGZUSD"][:-1] != list(early_rows.values())


def test_trades_when_paged_with_last_then_no_gap_no_duplicate(exchange: Exchange) -> None:
    since = (int(START.timestamp()) - 6 * 3600) * 10**9
    first = exchange.public("Trades", {"pair": "XBTUSD", "since": str(since), "count": "100"})
    second = exchange.public("Trades", {"pair": "XBTUSD", "since": first["last"], "count": "100"})
    whole = exchange.public("Trades", {"pair": "XBTUSD", "since": str(since), "count": "200"})
    assert first["XXBTZUSD"] + second["XXBTZUSD"] == whole["XXBTZUSD"]
    assert len(whole["XXBTZUSD"]) == 200
    ids = [row[6] for row in whole["XXBTZUSD"]]
    assert ids == sorted(set(ids))


def test_trades_when_no_since_then_latest_1000_up_to_now(exchange: Exchange) -> None:
    rows = exchange.public("Trades", {"pair": "XBTUSD"})["XXBTZUSD"]
    assert len(rows) == 1000
    assert rows[-1][2] <= START.timestamp()
    assert rows[-1][2] > START.timestamp() - 3600


def test_depth_when_asked_then_sorted_books_around_price(exchange: Exchange) -> None:
    book = exchange.public("Depth", {"pair": "ETHUSD", "count": "4"})["XETHZUSD"]
    bids = [Decimal(level[0]) for level in book["bids"]]
    asks = [Decimal(level[0]) for level in book["asks"]]
    assert len(bids) == len(asks) == 4
    assert bids == sorted(bids, reverse=True) and asks == sorted(asks)
    assert bids[0] < asks[0]
    assert all(Decimal(level[1]) > 0 for level in book["bids"] + book["asks"])


def test_ticker_when_asked_then_24h_volume_is_sum_of_candles(exchange: Exchange) -> None:
    ticker = exchange.public("Ticker", {"pair": "LTCUSD"})["XLTCZUSD"]
    rows = exchange.public("OHLC", {"pair": "LTCUSD"})["XLTCZUSD"]
    now = int(START.timestamp())
    day = [r for r in rows if r[0] > now - 86400]
    assert len(day) == 721  # the OHLC window is 12 hours: compare trade counts on it instead
    assert ticker["t"][1] >= sum(r[7] for r in day)
    assert Decimal(ticker["b"][0]) < Decimal(ticker["a"][0])
    assert Decimal(ticker["l"][1]) <= Decimal(ticker["c"][0]) <= Decimal(ticker["h"][1])


def test_ticker_when_illiquid_pair_then_24h_usd_volume_far_below_100k(exchange: Exchange) -> None:
    ticker = exchange.public("Ticker", {"pair": "BANDUSD,XBTUSD"})
    band = ticker["BANDUSD"]
    assert Decimal(band["v"][1]) * Decimal(band["p"][1]) < 20_000
    btc = ticker["XXBTZUSD"]
    assert Decimal(btc["v"][1]) * Decimal(btc["p"][1]) > 1_000_000


def test_asset_pairs_when_filtered_by_any_name_then_keyed_by_pair_key(exchange: Exchange) -> None:
    result = exchange.public("AssetPairs", {"pair": "XBTUSD,XETHZUSD,XDG/USD"})
    assert sorted(result) == ["XETHZUSD", "XXBTZUSD", "XXDGZUSD"]
    every = exchange.public("AssetPairs", {})
    statuses = {info["status"] for info in every.values()}
    assert {"online", "cancel_only"} <= statuses
    assert any(info["altname"].endswith(".d") for info in every.values())
    assert {"ZEUR", "XXBT"} <= {info["quote"] for info in every.values()}
    assert len([i for i in every.values() if i["quote"] == "ZUSD"]) >= 20
    fees = exchange.public("AssetPairs", {"pair": "XBTUSD", "info": "fees"})["XXBTZUSD"]
    assert fees["fees"][0] == [0, 0.4] and fees["fees_maker"][0] == [0, 0.25]


def test_assets_when_filtered_then_known_or_unknown_asset(exchange: Exchange) -> None:
    assets = exchange.public("Assets", {"asset": "XBT,ZUSD"})
    assert sorted(assets) == ["XXBT", "ZUSD"]
    assert assets["XXBT"]["altname"] == "XBT" and assets["ZUSD"]["decimals"] == 4
    with pytest.raises(SimError, match="EQuery:Unknown asset"):
        exchange.public("Assets", {"asset": "NOPE"})


def test_markets_when_ws_symbol_then_pair_key_with_v2_names(exchange: Exchange) -> None:
    assert exchange.markets.pair_for_ws_symbol("BTC/USD") == "XXBTZUSD"
    assert exchange.markets.pair_for_ws_symbol("DOGE/USD") == "XXDGZUSD"
    for refused in ("NOPE/USD", "XBT/USD", "XDG/USD", "btc/usd", "BTC/usd", "XBTUSD", " BTC/USD"):
        with pytest.raises(SimError, match="EQuery:Unknown asset pair"):
            exchange.markets.pair_for_ws_symbol(refused)
    symbols = {pair.ws_symbol for pair in exchange.markets.ws_pairs()}
    assert "BTC/USD" in symbols and None not in symbols


def test_time_when_clock_moves_then_exchange_time_follows(
    exchange: Exchange, clock: ManualClock
) -> None:
    clock.advance(90)
    assert exchange.public("Time", {})["unixtime"] == int(START.timestamp()) + 90
    assert datetime.fromtimestamp(exchange.public("Time", {})["unixtime"], UTC) == clock.now()


def test_markets_when_yaml_file_given_then_only_its_pairs(tmp_path: Path) -> None:
    path = tmp_path / "markets.yaml"
    path.write_text(
        """
assets:
  XXBT: {aclass: currency, altname: XBT, decimals: 10, display_decimals: 5}
  ZUSD: {aclass: currency, altname: USD, decimals: 4, display_decimals: 2}
pairs:
  XXBTZUSD:
    altname: XBTUSD
    wsname: XBT/USD
    aclass_base: currency
    base: XXBT
    aclass_quote: currency
    quote: ZUSD
    lot: unit
    cost_decimals: 5
    pair_decimals: 1
    lot_decimals: 8
    lot_multiplier: 1
    fees: [[0, 0.4]]
    fees_maker: [[0, 0.25]]
    ordermin: "0.0001"
    costmin: "0.5"
    tick_size: "0.1"
    status: online
sim:
  XXBTZUSD: {price: "30000", volatility: 0.5, trades_per_minute: 2, trade_notional: 500}
"""
    )
    exchange = Exchange(SimSettings(markets_file=path, history_days=1), ManualClock(START))
    assert list(exchange.public("AssetPairs", {})) == ["XXBTZUSD"]
    assert sorted(exchange.public("Assets", {})) == ["XXBT", "ZUSD"]
    last = Decimal(exchange.public("Ticker", {"pair": "XBTUSD"})["XXBTZUSD"]["c"][0])
    assert 10_000 < last < 90_000
