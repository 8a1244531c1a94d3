"""Kraken OHLCVT archive files load as candle series; bad files are DataErrors naming the file."""

from pathlib import Path

import numpy as np
import pytest

from bench.backtest_data import generate, write_csv_dir
from krakked_core.backtest.csv_series import csv_pairs, load_csv_series
from krakked_core.errors import DataError, DataUnavailableError


def test_generated_archive_when_loaded_then_values_and_window_exact(tmp_path: Path) -> None:
    frames = generate(pairs=2, days=1)
    write_csv_dir(frames, tmp_path)
    assert csv_pairs(tmp_path, "5m") == ["SYN00USD", "SYN01USD"]
    start = int(frames["SYN01USD"]["time"][10])
    series = load_csv_series(tmp_path, "SYN01USD", "5m", start=start, end=start + 300 * 5)
    assert len(series) == 5
    assert np.array_equal(series.close, frames["SYN01USD"]["close"].to_numpy()[10:15])
    assert series.time[0] == start


def test_missing_or_bad_file_when_loaded_then_typed_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(DataUnavailableError, match=r"XBTUSD_5\.csv"):
        load_csv_series(tmp_path, "XBTUSD", "5m")
    (tmp_path / "XBTUSD_5.csv").write_text("1,2,3\nnot,a,row\n")
    with pytest.raises(DataError, match=r"XBTUSD_5\.csv"):
        load_csv_series(tmp_path, "XBTUSD", "5m")
    (tmp_path / "XBTUSD_5.csv").write_text("600,1,1,1,1,1,1\n300,1,1,1,1,1,1\n")
    with pytest.raises(DataError, match="not strictly increasing"):
        load_csv_series(tmp_path, "XBTUSD", "5m")
