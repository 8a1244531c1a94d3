"""Schedules: the hourly universe refresh, and each timeframe's OHLC tail shortly after close."""

import dagster as dg

from krakked_core.config import AppConfig
from krakked_core.market_data.tail import tail_cron, tail_partition_day
from krakked_pipeline.assets.ohlc import OHLC_ASSETS, ohlc_asset_name
from krakked_pipeline.assets.universe import pair_universe

universe_refresh_job = dg.define_asset_job(
    "universe_refresh_job",
    selection=dg.AssetSelection.assets(pair_universe),
    executor_def=dg.in_process_executor,
)

OHLC_TAIL_JOBS = {
    timeframe: dg.define_asset_job(
        f"{ohlc_asset_name(timeframe)}_tail_job",
        selection=dg.AssetSelection.assets(asset),
        executor_def=dg.in_process_executor,
    )
    for timeframe, asset in OHLC_ASSETS.items()
}


def universe_refresh_schedule(config: AppConfig) -> dg.ScheduleDefinition:
    return dg.ScheduleDefinition(
        name="universe_refresh_schedule",
        job=universe_refresh_job,
        cron_schedule=config.scheduler.universe_refresh_cron,
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.RUNNING,
    )


def ohlc_tail_schedule(timeframe: str, config: AppConfig) -> dg.ScheduleDefinition:
    @dg.schedule(
        name=f"{ohlc_asset_name(timeframe)}_tail_schedule",
        job=OHLC_TAIL_JOBS[timeframe],
        cron_schedule=tail_cron(timeframe, config.scheduler.ohlc_tail_delay_seconds),
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.RUNNING,
    )
    def tail(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        day = tail_partition_day(context.scheduled_execution_time, timeframe)
        return dg.RunRequest(partition_key=day.isoformat())

    return tail


def build_schedules(config: AppConfig) -> list[dg.ScheduleDefinition]:
    tails = [ohlc_tail_schedule(tf, config) for tf in config.market_data.timeframes]
    return [universe_refresh_schedule(config), *tails]
