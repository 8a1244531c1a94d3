"""``ohlc_<timeframe>``: closed candles of the universe, one daily partition per UTC day.

"Backfill March" is a partition-range backfill; a run covers its whole range at once
(``BackfillPolicy.single_run``). Each partition holds exactly that day's closed bars, from
whichever source reaches that far back (REST OHLC, archives already imported, or trades).
"""

from datetime import datetime
from typing import Any

import dagster as dg

from krakked_core.clock import SystemClock
from krakked_core.market_data.backfill import RangeFillReport
from krakked_core.market_data.tail import first_history_day
from krakked_core.model.market import TIMEFRAMES, Timeframe
from krakked_pipeline.app_config import CONFIG
from krakked_pipeline.assets.universe import pair_universe
from krakked_pipeline.resources import MarketData


def ohlc_partitions(history_days: int, now: datetime) -> dg.DailyPartitionsDefinition:
    """One partition per day of the kept history, through today's (end_offset=1), which the
    tail update fills as bars close."""
    start = first_history_day(history_days, now)
    return dg.DailyPartitionsDefinition(start_date=start.isoformat(), end_offset=1)


# Days before the kept history are not partitions: the store was never asked to hold them.
OHLC_PARTITIONS = ohlc_partitions(CONFIG.market_data.history_days, SystemClock().now())


def ohlc_asset_name(timeframe: Timeframe) -> str:
    return f"ohlc_{timeframe}"


def fill_metadata(report: RangeFillReport) -> dict[str, Any]:
    return {
        "rows": report.rows,
        "pairs": len(report.pairs),
        "sources": ", ".join(report.sources) or "none",
        "missing_bars": sum(report.missing_bars.values()),
        "pairs_with_gaps": dg.MetadataValue.json(sorted(report.missing_bars)),
        "failed_pairs": dg.MetadataValue.json(report.failed),
    }


def build_ohlc_asset(timeframe: Timeframe) -> dg.AssetsDefinition:
    @dg.asset(
        name=ohlc_asset_name(timeframe),
        group_name="market_data",
        partitions_def=OHLC_PARTITIONS,
        backfill_policy=dg.BackfillPolicy.single_run(),
        deps=[pair_universe],
        kinds={"parquet", "polars"},
        description=f"Closed {timeframe} candles of the universe, per UTC day (Parquet store).",
    )
    def ohlc(context: dg.AssetExecutionContext, market_data: MarketData) -> dg.MaterializeResult:  # type: ignore[type-arg]
        window = context.partition_time_window
        start, end = int(window.start.timestamp()), int(window.end.timestamp())
        report = market_data.api().fill_universe_range(timeframe, start, end)
        if report.failed:
            raise dg.Failure(
                description=f"{len(report.failed)} pair(s) could not be filled",
                metadata=fill_metadata(report),
            )
        return dg.MaterializeResult(metadata=fill_metadata(report))

    return ohlc


OHLC_ASSETS = {timeframe: build_ohlc_asset(timeframe) for timeframe in TIMEFRAMES}
