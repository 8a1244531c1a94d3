from datetime import UTC, datetime, timedelta

import dagster as dg

from krakked_pipeline.assets.ohlc import OHLC_ASSETS, OHLC_PARTITIONS, ohlc_partitions
from krakked_pipeline.definitions import CONFIG, defs


def test_definitions_load() -> None:
    dg.Definitions.validate_loadable(defs)


def test_ohlc_partitions_start_where_the_configured_history_starts() -> None:
    now = datetime(2026, 3, 2, 12, 30, tzinfo=UTC)
    keys = ohlc_partitions(30, now).get_partition_keys(current_time=now)
    assert (keys[0], keys[-1], len(keys)) == ("2026-01-31", "2026-03-02", 31)  # through today

    # The code location's: the default 30 days before the day it loaded, on every asset.
    assert CONFIG.market_data.history_days == 30
    age = datetime.now(UTC) - OHLC_PARTITIONS.start
    assert timedelta(days=30) <= age < timedelta(days=31, hours=1)
    assert {asset.partitions_def for asset in OHLC_ASSETS.values()} == {OHLC_PARTITIONS}
