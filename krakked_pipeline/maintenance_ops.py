"""Maintenance jobs: the daily backup of the app DB (``scheduler.backup_cron``)."""

import dagster as dg

from krakked_core.db.backup import backup_app_db
from krakked_pipeline.resources import ClockResource, KrakkedSettings


@dg.op(description="Write a compressed backup of the app DB and rotate the old ones.")
def backup_database(
    context: dg.OpExecutionContext, settings: KrakkedSettings, clock: ClockResource
) -> str:
    path = backup_app_db(settings.app_config(), settings.paths(), clock.clock())
    context.log.info(f"backup written: {path}")
    return str(path)


@dg.job(executor_def=dg.in_process_executor, description="Back up the app DB (daily schedule).")
def backup_job() -> None:
    backup_database()
