"""Kraken's downloadable OHLCVT archive as candle series: ``<PAIR>_<minutes>.csv`` files.

Each row is ``time, open, high, low, close, volume, trades`` with no header (epoch seconds of the
bar's open). A folder holds any pairs, in the universe or not. A file that does not parse, or
whose times are not strictly increasing, is a DataError naming the file; nothing is half loaded.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import polars as pl

from krakked_core.errors import DataError, DataUnavailableError
from krakked_core.model.market import TIMEFRAME_SECONDS, Timeframe

COLUMNS = ("time", "open", "high", "low", "close", "volume", "trades")
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class CandleSeries:
    """One pair's candles of one timeframe as columns, oldest first."""

    pair: str
    timeframe: Timeframe
    time: IntArray
    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    volume: FloatArray

    def __len__(self) -> int:
        return len(self.time)


def csv_path(directory: Path, pair: str, timeframe: Timeframe) -> Path:
    """Where the archive keeps ``pair``'s candles of ``timeframe``."""
    return directory / f"{pair}_{TIMEFRAME_SECONDS[timeframe] // 60}.csv"


def csv_pairs(directory: Path, timeframe: Timeframe) -> list[str]:
    """The pairs with a file of ``timeframe`` in ``directory``, sorted."""
    suffix = f"_{TIMEFRAME_SECONDS[timeframe] // 60}.csv"
    return sorted(p.name.removesuffix(suffix) for p in directory.glob(f"*{suffix}"))


def load_csv_series(
    directory: Path,
    pair: str,
    timeframe: Timeframe,
    start: int | None = None,
    end: int | None = None,
) -> CandleSeries:
    """``pair``'s bars with open time in ``[start, end)`` from the archive in ``directory``."""
    path = csv_path(directory, pair, timeframe)
    if not path.is_file():
        raise DataUnavailableError(f"no {timeframe} candles for {pair}: {path} does not exist")
    schema = {name: pl.Float64 for name in COLUMNS} | {"time": pl.Int64, "trades": pl.Int64}
    try:
        frame = pl.read_csv(path, has_header=False, new_columns=list(COLUMNS), schema=schema)
    except (pl.exceptions.PolarsError, ValueError) as exc:
        raise DataError(f"{path}: not a Kraken OHLCVT file ({exc})") from None
    if start is not None:
        frame = frame.filter(pl.col("time") >= start)
    if end is not None:
        frame = frame.filter(pl.col("time") < end)
    times = frame["time"].to_numpy()
    if len(times) > 1 and not bool(np.all(np.diff(times) > 0)):
        raise DataError(f"{path}: bar times are not strictly increasing")
    return CandleSeries(
        pair=pair,
        timeframe=timeframe,
        time=times.astype(np.int64),
        open=frame["open"].to_numpy().astype(np.float64),
        high=frame["high"].to_numpy().astype(np.float64),
        low=frame["low"].to_numpy().astype(np.float64),
        close=frame["close"].to_numpy().astype(np.float64),
        volume=frame["volume"].to_numpy().astype(np.float64),
    )
