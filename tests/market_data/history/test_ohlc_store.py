"""The Parquet OHLC store: round trips, idempotence, closed bars only, layout, concurrency."""

import os
import random
import threading
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from krakked_core.clock import ManualClock
from krakked_core.market_data.ohlc_store import OhlcStore
from tests.market_data.history.conftest import MARCH_1, make_bar

HOUR = 3600


def test_append_then_get_returns_the_same_bars(store: OhlcStore) -> None:
    bars = [make_bar(MARCH_1 + i * 60, close=100 + i) for i in range(30)]
    assert store.append_bars("XBTUSD", "1m", bars, "rest_ohlc") == 30
    assert store.get_bars("XBTUSD", "1m") == bars


def test_appending_twice_does_not_duplicate(store: OhlcStore) -> None:
    bars = [make_bar(MARCH_1 + i * 60) for i in range(10)]
    store.append_bars("XBTUSD", "1m", bars, "rest_ohlc")
    store.append_bars("XBTUSD", "1m", [*bars[5:], make_bar(MARCH_1 + 600)], "rest_ohlc")
    times = [b.time for b in store.get_bars("XBTUSD", "1m")]
    assert times == [MARCH_1 + i * 60 for i in range(11)]


def test_unordered_input_is_stored_ordered(store: OhlcStore) -> None:
    bars = [make_bar(MARCH_1 + i * 300) for i in range(20)]
    shuffled = bars[:]
    random.Random(3).shuffle(shuffled)
    store.append_bars("ETHUSD", "5m", shuffled, "trades")
    assert store.get_bars("ETHUSD", "5m") == bars


def test_running_candle_is_never_stored(store: OhlcStore, clock: ManualClock) -> None:
    now = int(clock.now().timestamp())
    running_open = now // HOUR * HOUR
    bars = [make_bar(running_open - HOUR), make_bar(running_open)]
    assert store.append_bars("XBTUSD", "1h", bars, "rest_ohlc") == 1
    assert [b.time for b in store.get_bars("XBTUSD", "1h")] == [running_open - HOUR]
    clock.advance(HOUR)
    assert store.get_last_bars("XBTUSD", "1h", 5)[-1].time == running_open - HOUR


def test_misaligned_bar_is_dropped(store: OhlcStore) -> None:
    assert store.append_bars("XBTUSD", "1h", [make_bar(MARCH_1 + 60)], "trades") == 0
    assert store.get_bars("XBTUSD", "1h") == []


def test_layout_is_one_file_per_month_and_appends_leave_old_months_alone(
    store: OhlcStore,
) -> None:
    february = [make_bar(MARCH_1 - HOUR * i) for i in range(1, 4)]
    store.append_bars("XBTUSD", "1h", february, "archive")
    feb_file = store.root / "1h" / "XBTUSD" / "2024-02.parquet"
    before = feb_file.stat().st_mtime_ns
    store.append_bars("XBTUSD", "1h", [make_bar(MARCH_1), make_bar(MARCH_1 + HOUR)], "rest_ohlc")
    files = sorted(p.name for p in (store.root / "1h" / "XBTUSD").glob("*.parquet"))
    assert files == ["2024-02.parquet", "2024-03.parquet"]
    assert feb_file.stat().st_mtime_ns == before
    assert [b.time for b in store.get_last_bars("XBTUSD", "1h", 3)] == [
        MARCH_1 - HOUR,
        MARCH_1,
        MARCH_1 + HOUR,
    ]


def test_better_source_wins_a_clash_and_worse_does_not_overwrite(store: OhlcStore) -> None:
    store.append_bars("XBTUSD", "1h", [make_bar(MARCH_1, close=1)], "trades")
    store.append_bars("XBTUSD", "1h", [make_bar(MARCH_1, close=2)], "rest_ohlc")
    store.append_bars("XBTUSD", "1h", [make_bar(MARCH_1, close=3)], "archive")
    frame = store.frame("XBTUSD", "1h")
    assert frame["close"].to_list() == [2.0]
    assert frame["source"].to_list() == ["rest_ohlc"]


def test_range_reads_are_half_open(store: OhlcStore) -> None:
    store.append_bars("XBTUSD", "1h", [make_bar(MARCH_1 + i * HOUR) for i in range(6)], "trades")
    got = store.get_bars("XBTUSD", "1h", start=MARCH_1 + HOUR, end=MARCH_1 + 3 * HOUR)
    assert [b.time for b in got] == [MARCH_1 + HOUR, MARCH_1 + 2 * HOUR]
    assert store.newest_time("XBTUSD", "1h") == MARCH_1 + 5 * HOUR
    assert store.oldest_time("XBTUSD", "1h") == MARCH_1
    assert store.pairs("1h") == ["XBTUSD"]


def test_coverage_records_merge_and_expose_gaps(store: OhlcStore) -> None:
    store.record_coverage("XBTUSD", "1h", MARCH_1, MARCH_1 + 2 * HOUR, "archive")
    store.record_coverage("XBTUSD", "1h", MARCH_1 + 2 * HOUR, MARCH_1 + 3 * HOUR, "archive")
    store.record_coverage("XBTUSD", "1h", MARCH_1 + 5 * HOUR, MARCH_1 + 6 * HOUR, "trades")
    assert [(c.start, c.end, c.source) for c in store.coverage("XBTUSD", "1h")] == [
        (MARCH_1, MARCH_1 + 3 * HOUR, "archive"),
        (MARCH_1 + 5 * HOUR, MARCH_1 + 6 * HOUR, "trades"),
    ]
    assert store.uncovered("XBTUSD", "1h", MARCH_1, MARCH_1 + 8 * HOUR) == [
        (MARCH_1 + 3 * HOUR, MARCH_1 + 5 * HOUR),
        (MARCH_1 + 6 * HOUR, MARCH_1 + 8 * HOUR),
    ]


def test_concurrent_writers_to_one_month_lose_nothing(store: OhlcStore) -> None:
    def write(day: int) -> None:
        start = MARCH_1 - (day + 1) * 86400
        store.append_bars("XBTUSD", "1h", [make_bar(start + h * HOUR) for h in range(24)], "trades")

    threads = [threading.Thread(target=write, args=(day,)) for day in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    frame = store.raw_frame("XBTUSD", "1h")
    assert frame.height == 6 * 24 == frame["time"].n_unique()


def test_failed_write_leaves_the_previous_file_intact(
    store: OhlcStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.append_bars("XBTUSD", "1h", [make_bar(MARCH_1)], "rest_ohlc")

    def disk_full(self: pl.DataFrame, file: Path, *args: object, **kwargs: object) -> None:
        Path(file).write_bytes(b"PAR1 half a file")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pl.DataFrame, "write_parquet", disk_full)
    with pytest.raises(OSError, match="No space"):
        store.append_bars("XBTUSD", "1h", [make_bar(MARCH_1 + HOUR)], "rest_ohlc")
    monkeypatch.undo()
    assert [b.time for b in store.get_bars("XBTUSD", "1h")] == [MARCH_1]
    assert not list((store.root / "1h" / "XBTUSD").glob("*.tmp"))


def test_bad_names_are_refused(store: OhlcStore) -> None:
    with pytest.raises(ValueError, match="timeframe"):
        store.append_bars("XBTUSD", "2m", [make_bar(MARCH_1)], "trades")
    with pytest.raises(ValueError, match="pair"):
        store.get_bars("../etc", "1h")


@settings(max_examples=25, deadline=None)
@given(batches=st.lists(st.lists(st.integers(0, 150), max_size=40), min_size=1, max_size=5))
def test_any_sequence_of_appends_stores_sorted_unique_bars(tmp_path_factory, batches) -> None:
    clock = ManualClock(datetime(2024, 3, 9, tzinfo=UTC))
    store = OhlcStore(tmp_path_factory.mktemp("prop"), clock)
    for batch in batches:
        store.append_bars("XBTUSD", "1h", [make_bar(MARCH_1 + i * HOUR) for i in batch], "trades")
    expected = sorted({MARCH_1 + i * HOUR for batch in batches for i in batch})
    stored = store.raw_frame("XBTUSD", "1h")
    assert stored.sort("time")["time"].to_list() == expected
    assert stored["time"].to_list() == expected  # files are written in order


def test_writes_reach_the_disk_before_the_rename_and_the_rename_after(
    store: OhlcStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[tuple[str, str]] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    def replace(src: str | Path, dst: str | Path) -> None:
        events.append(("replace", f"{src} -> {dst}"))
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)

    store.append_bars("XBTUSD", "1h", [make_bar(MARCH_1)], "rest_ohlc")
    store.record_coverage("XBTUSD", "1h", MARCH_1, MARCH_1 + HOUR, "rest_ohlc")

    renames = [i for i, (kind, _) in enumerate(events) if kind == "replace"]
    assert len(renames) == 2  # the month file and coverage.json
    for i in renames:
        temp, target = events[i][1].split(" -> ")
        assert events[i - 1] == ("fsync", temp)  # the data first
        assert events[i + 1] == ("fsync", str(Path(target).parent))  # then the directory entry
