"""The portfolio sync + snapshot job and its schedule (``scheduler.portfolio_sync_cron``)."""

import dagster as dg

from krakked_core.config import AppConfig
from krakked_pipeline.assets.portfolio import portfolio_snapshot

portfolio_sync_job = dg.define_asset_job(
    "portfolio_sync_job",
    selection=dg.AssetSelection.assets(portfolio_snapshot),
    executor_def=dg.in_process_executor,
)


def portfolio_sync_schedule(config: AppConfig) -> dg.ScheduleDefinition:
    return dg.ScheduleDefinition(
        name="portfolio_sync_schedule",
        job=portfolio_sync_job,
        cron_schedule=config.scheduler.portfolio_sync_cron,
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.RUNNING,
    )
