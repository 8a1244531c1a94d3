"""Replaying a recorded OHLCVT file: the pair's candles are the file's."""

from datetime import timedelta
from pathlib import Path

import pytest

from krakked_core.clock import ManualClock
from krakked_core.errors import ConfigError
from krakked_core.sim.archive import export_archive
from krakked_core.sim.exchange import Exchange
from krakked_core.sim.settings import SimSettings

from .conftest import START


def test_replay_when_file_given_then_ohlc_equals_file_rows(tmp_path: Path) -> None:
    recorded = START - timedelta(hours=2)
    export_archive(
        SimSettings(seed=21, history_days=1), tmp_path, recorded, pairs=["SOLUSD"], intervals=(1,)
    )
    path = tmp_path / "SOLUSD_1.csv"
    rows = {int(r.split(",")[0]): r.split(",")[1:] for r in path.read_text().splitlines()}
    exchange = Exchange(
        SimSettings(seed=99, replay_ohlc_file=path, history_days=1), ManualClock(recorded)
    )
    served = exchange.public("OHLC", {"pair": "SOLUSD", "since": "0"})["SOLUSD"][:-1]
    compared = 0
    for time, o, h, low, c, _vwap, volume, count in served:
        if count:
            assert rows[time] == [o, h, low, c, volume, str(count)]
            compared += 1
        else:
            assert time not in rows
    assert compared > 300
    other = Exchange(SimSettings(seed=99, history_days=1), ManualClock(recorded))
    assert (
        other.public("OHLC", {"pair": "SOLUSD"})["SOLUSD"]
        != exchange.public("OHLC", {"pair": "SOLUSD"})["SOLUSD"]
    )


def test_replay_when_file_not_one_minute_then_config_error(tmp_path: Path) -> None:
    path = tmp_path / "XBTUSD_60.csv"
    path.write_text("1772366400,1,1,1,1,1,1\n")
    with pytest.raises(ConfigError):
        Exchange(SimSettings(replay_ohlc_file=path), ManualClock(START))
