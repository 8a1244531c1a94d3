"""The OHLCVT archive export: Kraken's layout, and the same candles the REST OHLC serves."""

from pathlib import Path

from krakked_core.clock import ManualClock
from krakked_core.sim.archive import export_archive
from krakked_core.sim.exchange import Exchange
from krakked_core.sim.settings import SimSettings

from .conftest import START


def read(path: Path) -> list[list[str]]:
    return [line.split(",") for line in path.read_text().splitlines()]


def test_export_when_settings_then_one_headerless_csv_per_pair_and_interval(tmp_path: Path) -> None:
    written = export_archive(
        SimSettings(seed=2, history_days=1),
        tmp_path,
        START,
        pairs=["XBTUSD", "BANDUSD"],
        intervals=(1, 60),
    )
    assert sorted(p.name for p in written) == [
        "BANDUSD_1.csv",
        "BANDUSD_60.csv",
        "XBTUSD_1.csv",
        "XBTUSD_60.csv",
    ]
    rows = read(tmp_path / "XBTUSD_60.csv")
    assert 22 <= len(rows) <= 24  # closed hours of the one-day window
    assert all(len(row) == 7 and int(row[6]) > 0 for row in rows)
    assert all(int(row[0]) % 3600 == 0 and int(row[0]) + 3600 <= START.timestamp() for row in rows)
    band = read(tmp_path / "BANDUSD_1.csv")
    assert 0 < len(band) < 1440  # an illiquid pair: minutes without a trade have no row


def test_export_when_compared_with_rest_ohlc_then_same_candles(tmp_path: Path) -> None:
    exchange = Exchange(SimSettings(seed=2, history_days=1), ManualClock(START))
    export_archive(exchange, tmp_path, START, pairs=["ETHUSD"], intervals=(5,))
    archived = {int(row[0]): row[1:] for row in read(tmp_path / "ETHUSD_5.csv")}
    rest = exchange.public("OHLC", {"pair": "ETHUSD", "interval": "5"})["XETHZUSD"][:-1]
    for time, o, h, low, c, _vwap, volume, count in rest:
        if count:
            assert archived[time] == [o, h, low, c, volume, str(count)]
        else:
            assert time not in archived
