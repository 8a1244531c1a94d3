"""The daily backup: a schedule on ``scheduler.backup_cron`` and a job writing a real backup."""

import gzip
import sqlite3
from pathlib import Path

import dagster as dg

from krakked_core.db import make_engine, upgrade
from krakked_core.paths import AppPaths
from krakked_pipeline.definitions import CONFIG, defs
from krakked_pipeline.maintenance_ops import backup_job
from krakked_pipeline.resources import ClockResource, KrakkedSettings


def test_backup_schedule_runs_the_backup_job_on_the_configured_cron() -> None:
    schedule = defs.resolve_schedule_def("backup_schedule")
    assert schedule.cron_schedule == CONFIG.scheduler.backup_cron == "30 3 * * *"
    assert schedule.job_name == backup_job.name
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING


def test_backup_job_writes_a_restorable_backup_into_the_data_dir(app_paths: AppPaths) -> None:
    upgrade(make_engine(f"sqlite:///{app_paths.default_db_file}"))
    settings = KrakkedSettings(
        config_dir=str(app_paths.config_dir), data_dir=str(app_paths.data_dir)
    )
    clock = ClockResource(fixed_now="2026-03-01T03:30:00+00:00")

    result = backup_job.execute_in_process(resources={"settings": settings, "clock": clock})

    path = Path(result.output_for_node("backup_database"))
    assert path.parent == app_paths.backup_dir
    assert path.name.startswith("krakked-20260301T033000")
    plain = app_paths.data_dir / "plain.db"
    plain.write_bytes(gzip.decompress(path.read_bytes()))
    with sqlite3.connect(plain) as conn:
        assert conn.execute("SELECT count(*) FROM alembic_version").fetchone()[0] > 0
