"""Quality findings behind the asset checks; tail schedule arithmetic; the Dagster home file."""

from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import yaml

from krakked_core.dagster_home import PG_URL_VARIABLE, prepare_dagster_home
from krakked_core.market_data.ohlc_store import BAR_SCHEMA, OhlcStore
from krakked_core.market_data.quality import (
    BarRange,
    duplicate_bars,
    lagging_pairs,
    misaligned_bars,
    running_bars,
)
from krakked_core.market_data.tail import (
    day_bounds,
    tail_cron,
    tail_partition_day,
    tail_partition_days,
)
from krakked_core.paths import AppPaths
from tests.market_data.history.conftest import MARCH_1, make_bar

HOUR = 3600
DAY = BarRange(("XBTUSD", "ETHUSD"), "1h", MARCH_1, MARCH_1 + 24 * HOUR)


def _write_raw(store: OhlcStore, pair: str, times: list[int]) -> None:
    rows = [{**make_bar(t).model_dump(), "source": "trades"} for t in times]
    path = store.root / "1h" / pair / "2024-03.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    pl.DataFrame(rows, schema=BAR_SCHEMA).write_parquet(path)


def test_clean_day_has_no_findings(store: OhlcStore) -> None:
    for pair in DAY.pairs:
        store.append_bars(pair, "1h", [make_bar(MARCH_1 + h * HOUR) for h in range(24)], "trades")
    now = MARCH_1 + 24 * HOUR + 30
    assert duplicate_bars(store, DAY).ok
    assert misaligned_bars(store, DAY).ok
    assert running_bars(store, DAY, now).ok
    assert lagging_pairs(store, DAY, now).ok
    assert duplicate_bars(store, DAY).rows == 48


def test_bad_rows_written_behind_the_store_are_found(store: OhlcStore) -> None:
    _write_raw(store, "XBTUSD", [MARCH_1, MARCH_1, MARCH_1 + 90, MARCH_1 + 5 * HOUR])
    now = MARCH_1 + 5 * HOUR + 10  # the 05:00 bar is still running
    assert duplicate_bars(store, DAY).by_pair == {"XBTUSD": 1}
    assert misaligned_bars(store, DAY).by_pair == {"XBTUSD": 1}
    assert running_bars(store, DAY, now).by_pair == {"XBTUSD": 1}


def test_lagging_and_missing_pairs_are_reported_in_bars(store: OhlcStore) -> None:
    store.append_bars("XBTUSD", "1h", [make_bar(MARCH_1 + h * HOUR) for h in range(20)], "trades")
    now = MARCH_1 + 24 * HOUR + 30
    findings = lagging_pairs(store, DAY, now)
    assert findings.by_pair == {"XBTUSD": 4, "ETHUSD": 24}


def test_intervals_a_source_filled_without_trades_are_no_lag(store: OhlcStore) -> None:
    # An archive (or trades) has no bar where nothing traded: a thin pair's quiet last hours.
    for pair in DAY.pairs:
        store.append_bars(pair, "1h", [make_bar(MARCH_1 + h * HOUR) for h in range(20)], "archive")
    store.record_coverage("ETHUSD", "1h", MARCH_1, MARCH_1 + 24 * HOUR, "archive")
    now = MARCH_1 + 24 * HOUR + 30
    assert lagging_pairs(store, DAY, now).by_pair == {"XBTUSD": 4}


def test_tail_cron_fires_shortly_after_each_close() -> None:
    assert tail_cron("1m", 20) == "1/10 * * * *"  # every 10 minutes: see tail.py
    assert tail_cron("5m", 20) == "1/5 * * * *"
    assert tail_cron("1h", 0) == "0 * * * *"
    assert tail_cron("4h", 90) == "2 */4 * * *"
    assert tail_cron("1d", 20) == "1 0 * * *"


def test_tail_partition_is_the_day_of_the_bar_that_just_closed() -> None:
    assert tail_partition_day(datetime(2024, 3, 2, 0, 1, 20, tzinfo=UTC), "1d") == date(2024, 3, 1)
    assert tail_partition_day(datetime(2024, 3, 2, 0, 0, 20, tzinfo=UTC), "1m") == date(2024, 3, 1)
    assert tail_partition_day(datetime(2024, 3, 2, 0, 2, 20, tzinfo=UTC), "1m") == date(2024, 3, 2)
    assert day_bounds(date(2024, 3, 1)) == (MARCH_1, MARCH_1 + 86400)


def test_tail_run_after_midnight_fills_both_days_its_new_bars_fall_in() -> None:
    # The 1m tail runs every 10 minutes: the run at 00:01 sees 23:51-00:00, across two days.
    def at(hour: int, minute: int) -> datetime:
        return datetime(2024, 3, 2, hour, minute, 20, tzinfo=UTC)

    assert tail_partition_days(at(0, 1), "1m") == [date(2024, 3, 1), date(2024, 3, 2)]
    assert tail_partition_days(at(0, 11), "1m") == [date(2024, 3, 2)]
    assert tail_partition_days(at(0, 1), "5m") == [date(2024, 3, 1)]
    assert tail_partition_days(at(0, 6), "5m") == [date(2024, 3, 2)]
    assert tail_partition_days(at(0, 1), "1d") == [date(2024, 3, 1)]


def test_dagster_home_uses_sqlite_by_default_and_postgres_by_variable(app_paths: AppPaths) -> None:
    home = prepare_dagster_home(app_paths, {})
    sqlite = yaml.safe_load((home / "dagster.yaml").read_text())
    assert Path(sqlite["storage"]["sqlite"]["base_dir"]) == home / "storage"
    url = "postgresql://user:s3cret@db/dagster"
    prepare_dagster_home(app_paths, {PG_URL_VARIABLE: url})
    text = (home / "dagster.yaml").read_text()
    assert yaml.safe_load(text)["storage"]["postgres"]["postgres_url"] == {"env": PG_URL_VARIABLE}
    assert "s3cret" not in text  # the URL stays in the environment
    assert sorted(p.name for p in home.iterdir()) == ["dagster.yaml"]
