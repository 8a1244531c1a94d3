"""The USD spot universe: filters, overrides, liquidity floor, persistence, WS v2 names."""

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import Engine

from krakked_core.config import UniverseConfig
from krakked_core.connection.parsers.market import parse_asset_pairs, parse_ticker
from krakked_core.connection.symbols import ws_v2_symbol, wsname_from_v2
from krakked_core.market_data.universe import (
    UniverseRepository,
    select_universe,
)
from tests.market_data.history.conftest import asset_pairs_payload, ticker_payload

LIQUID = {"XXBTZUSD": 5e6, "XETHZUSD": 2e6, "XXDGZUSD": 3e5, "SOLUSD": 1e6, "ADAUSD": 5e4}


def _volumes() -> dict[str, Decimal]:
    stats = parse_ticker(ticker_payload(LIQUID))
    entries = parse_asset_pairs(asset_pairs_payload())
    return {
        e.metadata.canonical: stats[e.metadata.raw_name].volume_24h_quote
        for e in entries
        if e.metadata.raw_name in stats
    }


def _select(**settings: object):
    return select_universe(
        parse_asset_pairs(asset_pairs_payload()),
        _volumes(),
        UniverseConfig(**settings),  # type: ignore[arg-type]
        "USD",
    )


def test_universe_keeps_online_usd_spot_pairs_above_the_floor() -> None:
    build = _select(min_24h_volume_usd=100_000)
    assert build.canonicals == ["ETHUSD", "SOLUSD", "XBTUSD", "XDGUSD"]
    assert build.rejected["XBTEUR"].startswith("quote EUR")
    assert build.rejected["XBTUSDT"].startswith("quote USDT")
    assert build.rejected["DOTUSD"] == "status cancel_only"
    assert build.rejected["XBTUSD.d"] == "dark pool"
    assert build.rejected["AAPLxUSD"] == "not a spot currency pair"
    assert "below" in build.rejected["ADAUSD"]


def test_pairs_with_leverage_arrays_are_kept() -> None:
    build = _select(min_24h_volume_usd=0)
    xbt = next(p for p in build.pairs if p.canonical == "XBTUSD")
    assert xbt.canonical in build.canonicals  # its sample entry has leverage_buy 2..10
    assert "ADAUSD" in build.canonicals  # no floor: illiquid pairs stay


def test_metadata_names_follow_the_contract() -> None:
    xbt = next(p for p in _select().pairs if p.canonical == "XBTUSD")
    assert (xbt.raw_name, xbt.rest_symbol, xbt.ws_symbol) == ("XXBTZUSD", "XBTUSD", "XBT/USD")
    assert (xbt.base, xbt.quote) == ("XBT", "USD")
    assert ws_v2_symbol(xbt.ws_symbol) == "BTC/USD"
    assert wsname_from_v2("DOGE/USD") == "XDG/USD"


def test_exclude_removes_and_include_bypasses_only_the_floor() -> None:
    build = _select(
        exclude_pairs=("ETHUSD",),
        include_pairs=("ADAUSD", "DOTUSD", "XBTEUR", "NOPEUSD"),
        min_24h_volume_usd=100_000,
    )
    assert "ETHUSD" not in build.canonicals
    assert build.rejected["ETHUSD"] == "excluded by config"
    assert "ADAUSD" in build.canonicals  # below the floor, included
    assert "DOTUSD" not in build.canonicals  # cancel_only even when included
    assert "XBTEUR" not in build.canonicals  # not USD even when included


def test_exclude_wins_over_include() -> None:
    build = _select(exclude_pairs=("XBTUSD",), include_pairs=("XBTUSD",))
    assert "XBTUSD" not in build.canonicals


def test_pair_without_ticker_is_dropped_when_a_floor_is_set() -> None:
    build = select_universe(
        parse_asset_pairs(asset_pairs_payload()), {}, UniverseConfig(min_24h_volume_usd=1), "USD"
    )
    assert build.pairs == []
    assert build.rejected["XBTUSD"] == "no ticker (24h volume unknown)"


def test_repository_round_trip_replaces_the_universe(engine: Engine) -> None:
    repo = UniverseRepository(engine)
    assert repo.refreshed_at() is None and repo.load() == []
    first = _select(min_24h_volume_usd=0)
    at = datetime(2024, 3, 1, 12, tzinfo=UTC)
    repo.save(first, at)
    assert repo.load() == first.pairs
    assert repo.refreshed_at() == at
    assert repo.get("XBTUSD") == next(p for p in first.pairs if p.canonical == "XBTUSD")
    second = _select(min_24h_volume_usd=1_000_000)
    repo.save(second, datetime(2024, 3, 1, 13, tzinfo=UTC))
    assert [p.canonical for p in repo.load()] == second.canonicals
    assert repo.get("ADAUSD") is None
    assert repo.refreshed_at() == datetime(2024, 3, 1, 13, tzinfo=UTC)
