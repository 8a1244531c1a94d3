"""Kraken OHLCVT archive import (folder and zip), and backfill skipping what it covers."""

import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from krakked_core.clock import ManualClock
from krakked_core.connection import build_rest_client
from krakked_core.connection.market_gateway import KrakenMarketGateway
from krakked_core.market_data.api import MarketDataAPI
from krakked_core.market_data.archive import import_ohlcvt
from krakked_core.market_data.live_store import LiveStore
from krakked_core.market_data.ohlc_store import OhlcStore
from krakked_core.paths import AppPaths
from krakked_core.sim import SandboxExchange, SimSettings
from krakked_core.sim.archive import export_archive
from tests.fakes.config import write_config
from tests.market_data.history.conftest import MARCH_1

HOUR = 3600


def _csv(start: int, step: int, n: int) -> str:
    rows = [
        f"{start + i * step},{100 + i},{102 + i},{99 + i},{101 + i},1.5,{i + 1}" for i in range(n)
    ]
    return "\n".join(rows) + "\n"


def _write_archive(folder: Path) -> None:
    folder.mkdir(parents=True)
    (folder / "XBTUSD_60.csv").write_text(_csv(MARCH_1, HOUR, 48))
    (folder / "XBTUSD_720.csv").write_text(_csv(MARCH_1, 12 * HOUR, 4))  # not a stored timeframe
    (folder / "ETHUSD_1440.csv").write_text(_csv(MARCH_1 - 86400, 86400, 1))
    (folder / "notes.txt").write_text("ignored")


def test_folder_import_stores_bars_with_derived_vwap(tmp_path: Path, store: OhlcStore) -> None:
    _write_archive(tmp_path / "archive")
    report = import_ohlcvt(tmp_path / "archive", store)
    assert report.imported == {("XBTUSD", "1h"): 36, ("ETHUSD", "1d"): 1}  # clock: 2024-03-02 12:00
    assert "XBTUSD_720.csv" in report.skipped
    first = store.get_bars("XBTUSD", "1h")[0]
    assert (first.time, first.open, first.close, first.count) == (MARCH_1, 100, 101, 1)
    assert first.vwap == pytest.approx((102 + 99 + 101) / 3)
    assert [c.source for c in store.coverage("XBTUSD", "1h")] == ["archive"]


def test_zip_import_with_pair_filter_is_idempotent(tmp_path: Path, store: OhlcStore) -> None:
    _write_archive(tmp_path / "archive")
    zipped = tmp_path / "Kraken_OHLCVT.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        for file in (tmp_path / "archive").iterdir():
            archive.write(file, f"Kraken_OHLCVT/{file.name}")
    for _ in range(2):
        report = import_ohlcvt(zipped, store, pairs={"XBTUSD"})
    assert report.imported == {("XBTUSD", "1h"): 36}
    assert store.pairs("1d") == []
    assert store.raw_frame("XBTUSD", "1h").height == 36


def test_backfill_skips_trades_where_the_archive_reaches(
    tmp_path: Path, api: MarketDataAPI, now: Callable[[], int]
) -> None:
    api.refresh_universe()
    start = now() // 60 * 60 - 13 * HOUR  # 1m: older than REST's 12-hour window
    lines = [f"{start + i * 60},1,1,1,1,0.1,1" for i in range(2 * 60)]
    folder = tmp_path / "archive"
    folder.mkdir()
    (folder / "ETHUSD_1.csv").write_text("\n".join(lines) + "\n")
    import_ohlcvt(folder, api.store)
    report = api.backfill_ohlc("ETHUSD", "1m", since=start)
    assert report.sources == ("rest_ohlc",) and report.requests == 1
    frame = api.store.frame("ETHUSD", "1m", start, start + 2 * HOUR)
    assert set(frame["source"].to_list()) <= {"archive", "rest_ohlc"}


def test_backfill_makes_no_rest_call_where_the_sandbox_archive_already_reaches(
    tmp_path: Path, engine: Engine, app_paths: AppPaths
) -> None:
    # What `up --sim` does on a first start: the sandbox's export, imported, serves the range.
    clock = ManualClock(datetime(2026, 3, 2, 12, 0, 30, tzinfo=UTC))
    with SandboxExchange(SimSettings(seed=1, history_days=2, tier="none"), clock=clock) as sim:
        config = write_config(app_paths, sim.rest_url)
        api = MarketDataAPI(
            engine=engine,
            market=KrakenMarketGateway(build_rest_client(config, app_paths, None), clock),
            store=OhlcStore(tmp_path / "ohlc", clock),
            live=LiveStore(engine, clock, stale_tolerance_seconds=60),
            config=config,
            clock=clock,
            show_progress=False,
        )
        api.refresh_universe()
        export_archive(sim.exchange, tmp_path / "archive", clock.now(), pairs=["ETHUSD"])
        import_ohlcvt(tmp_path / "archive", api.store)
        since = int(datetime(2026, 3, 1, tzinfo=UTC).timestamp())
        report = api.backfill_ohlc("ETHUSD", "1h", since=since)
    assert (report.requests, report.sources, report.bars_written) == (0, (), 0)
    assert api.store.frame("ETHUSD", "1h", since).height == 36  # every closed hour, archived
