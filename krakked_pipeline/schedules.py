"""Schedules: the hourly universe refresh, each timeframe's OHLC tail shortly after close, and
the portfolio sync (``scheduler.portfolio_sync_cron``) and the daily DB backup
(``scheduler.backup_cron``). The jobs they start are in jobs.py.

Tail runs never overlap: a tick is skipped while a run of the same job is queued or in progress,
and the runs carry the ``krakked/ohlc_tail`` tag that the instance's run queue limits to one per
timeframe (``krakked_core/dagster_home.py``). A run whose worker died stays "started" for good,
so two guards keep the schedule from stopping forever: unfinished runs created more than
``STALE_AFTER_TAIL_INTERVALS`` tail intervals ago do not block a tick, and each tail run carries a
maximum runtime that the instance's run monitoring enforces (marking it failed).
"""

from datetime import UTC, datetime, timedelta

import dagster as dg

from krakked_core.config import AppConfig
from krakked_core.market_data.tail import tail_cron, tail_every_seconds, tail_partition_days
from krakked_core.model.market import Timeframe
from krakked_pipeline.assets.ohlc import ohlc_asset_name
from krakked_pipeline.jobs import OHLC_TAIL_JOBS, portfolio_sync_job, universe_refresh_job
from krakked_pipeline.maintenance_ops import backup_job

# An unfinished tail run older than this many tail intervals is presumed dead (not a blocker).
STALE_AFTER_TAIL_INTERVALS = 3

# Queued counts too: a run waiting in the queue would do the same work as a new one.
_UNFINISHED = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]


def universe_refresh_schedule(config: AppConfig) -> dg.ScheduleDefinition:
    return dg.ScheduleDefinition(
        name="universe_refresh_schedule",
        job=universe_refresh_job,
        cron_schedule=config.scheduler.universe_refresh_cron,
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.RUNNING,
    )


def ohlc_tail_schedule(timeframe: Timeframe, config: AppConfig) -> dg.ScheduleDefinition:
    @dg.schedule(
        name=f"{ohlc_asset_name(timeframe)}_tail_schedule",
        job=OHLC_TAIL_JOBS[timeframe],
        cron_schedule=tail_cron(timeframe, config.scheduler.ohlc_tail_delay_seconds),
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.RUNNING,
    )
    def tail(
        context: dg.ScheduleEvaluationContext,
    ) -> dg.SkipReason | list[dg.RunRequest]:
        job_name = OHLC_TAIL_JOBS[timeframe].name
        at = context.scheduled_execution_time or datetime.now(UTC)
        window = timedelta(seconds=STALE_AFTER_TAIL_INTERVALS * tail_every_seconds(timeframe))
        unfinished = context.instance.get_run_records(
            filters=dg.RunsFilter(
                job_name=job_name, statuses=_UNFINISHED, created_after=at - window
            ),
            limit=1,
        )
        if unfinished:
            return dg.SkipReason(
                f"{job_name} is still running ({unfinished[0].dagster_run.run_id})"
            )
        days = tail_partition_days(context.scheduled_execution_time, timeframe)
        return [dg.RunRequest(run_key=d.isoformat(), partition_key=d.isoformat()) for d in days]

    return tail


def portfolio_sync_schedule(config: AppConfig) -> dg.ScheduleDefinition:
    return dg.ScheduleDefinition(
        name="portfolio_sync_schedule",
        job=portfolio_sync_job,
        cron_schedule=config.scheduler.portfolio_sync_cron,
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.RUNNING,
    )


def backup_schedule(config: AppConfig) -> dg.ScheduleDefinition:
    return dg.ScheduleDefinition(
        name="backup_schedule",
        job=backup_job,
        cron_schedule=config.scheduler.backup_cron,
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.RUNNING,
    )


def build_schedules(config: AppConfig) -> list[dg.ScheduleDefinition]:
    tails = [ohlc_tail_schedule(tf, config) for tf in config.market_data.timeframes]
    return [
        universe_refresh_schedule(config),
        *tails,
        portfolio_sync_schedule(config),
        backup_schedule(config),
    ]
