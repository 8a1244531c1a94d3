"""Market-data assets and checks, materialized in pytest against the sandbox exchange."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import dagster as dg
import polars as pl
import pytest

from krakked_core.clock import SystemClock
from krakked_core.dagster_home import OHLC_TAIL_TAG, PG_URL_VARIABLE, prepare_dagster_home
from krakked_core.db import make_engine, upgrade
from krakked_core.market_data.live_store import LiveStore
from krakked_core.market_data.ohlc_store import BAR_SCHEMA, OhlcStore
from krakked_core.market_data.tail import tail_partition_days
from krakked_core.model.market import Bar
from krakked_core.paths import AppPaths
from krakked_core.sim import SandboxExchange, SimSettings
from krakked_pipeline.assets.ohlc import OHLC_ASSETS, OHLC_PARTITIONS
from krakked_pipeline.assets.universe import pair_universe
from krakked_pipeline.checks import OHLC_CHECKS, freshness_limit
from krakked_pipeline.definitions import CONFIG, OHLC_FRESHNESS_CHECKS, defs
from krakked_pipeline.jobs import TAIL_MAX_RUNTIME_SECONDS
from krakked_pipeline.resources import KrakkedSettings, build_resources
from krakked_pipeline.schedules import STALE_AFTER_TAIL_INTERVALS
from tests.fakes.config import write_config

HOUR = 3600


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxExchange]:
    with SandboxExchange(SimSettings(seed=2, history_days=2, tier="none")) as sim:
        yield sim


@pytest.fixture
def resources(app_paths: AppPaths, sandbox: SandboxExchange) -> dict[str, object]:
    config = write_config(app_paths, sandbox.rest_url, universe={"min_24h_volume_usd": 2_000_000})
    engine = make_engine(config.db.resolved_url(app_paths))
    upgrade(engine)
    engine.dispose()
    return build_resources(
        KrakkedSettings(config_dir=str(app_paths.config_dir), data_dir=str(app_paths.data_dir))
    )


def _today() -> str:
    return datetime.now(UTC).date().isoformat()


def _yesterday() -> str:
    return (datetime.now(UTC).date() - timedelta(days=1)).isoformat()


def _materialize_universe(resources: dict[str, object], instance: dg.DagsterInstance) -> None:
    result = dg.materialize([pair_universe], resources=resources, instance=instance)
    assert result.success


def _run_1h(resources, instance, *, day=None) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [OHLC_ASSETS["1h"], *OHLC_CHECKS["1h"]],
        partition_key=day or _yesterday(),
        resources=resources,
        instance=instance,
        raise_on_error=False,
    )


def _checks(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetCheckEvaluation]:
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def test_universe_and_todays_ohlc_partition_materialize_with_passing_checks(resources) -> None:
    with dg.instance_for_test() as instance:
        _materialize_universe(resources, instance)
        result = _run_1h(resources, instance)
    assert result.success
    [mat] = result.asset_materializations_for_node("ohlc_1h")
    meta = {k: v.value for k, v in mat.metadata.items()}
    assert meta["pairs"] == 6 and meta["rows"] > 0
    assert meta["sources"] == "rest_ohlc" and meta["missing_bars"] == 0
    checks = _checks(result)
    assert set(checks) == {
        "no_duplicate_bars",
        "no_running_candle",
        "bars_aligned",
        "fresh",
        "live_agrees_with_rest",
    }
    assert all(check.passed for check in checks.values()), checks


def test_bad_bars_written_behind_the_store_fail_the_checks(resources, app_paths) -> None:
    with dg.instance_for_test() as instance:
        _materialize_universe(resources, instance)
        assert _run_1h(resources, instance).success
        store = resources["market_data"].store()
        now = int(datetime.now(UTC).timestamp())
        running = now // HOUR * HOUR
        month_file = store.root / "1h" / "XBTUSD" / f"{datetime.now(UTC):%Y-%m}.parquet"
        rows = (
            pl.read_parquet(month_file) if month_file.exists() else pl.DataFrame(schema=BAR_SCHEMA)
        )
        bar = {"open": 1.0, "high": 1.0, "low": 1.0, "close": 1.0, "vwap": 1.0, "volume": 1.0}
        bad = pl.DataFrame(
            [
                {"time": running, **bar, "count": 1, "source": "trades"},  # running, twice
                {"time": running, **bar, "count": 1, "source": "trades"},
                {"time": running + 60, **bar, "count": 1, "source": "trades"},  # misaligned
            ],
            schema=BAR_SCHEMA,
        )
        pl.concat([rows, bad]).write_parquet(month_file)
        result = _run_1h(resources, instance, day=_today())
    checks = _checks(result)
    assert not checks["no_running_candle"].passed
    assert checks["no_running_candle"].metadata["by_pair"].value["XBTUSD"] >= 2
    assert not checks["bars_aligned"].passed
    assert checks["bars_aligned"].metadata["by_pair"].value == {"XBTUSD": 1}


def test_live_bars_disagreeing_with_rest_fail_the_agreement_check(resources, app_paths) -> None:
    with dg.instance_for_test() as instance:
        _materialize_universe(resources, instance)
        assert _run_1h(resources, instance).success
        engine = resources["database"].engine()
        live = LiveStore(engine, SystemClock(), 60)
        store: OhlcStore = resources["market_data"].store()
        rest_bar = store.get_last_bars("ETHUSD", "1h", 1)[0]
        live.publish(closed_bars=[("ETHUSD", "1h", rest_bar)])
        agreeing = _checks(_run_1h(resources, instance))
        other = Bar(**{**rest_bar.model_dump(), "close": rest_bar.close * 1.01})
        live.publish(closed_bars=[("ETHUSD", "1h", other)])
        differing = _checks(_run_1h(resources, instance))
    assert agreeing["live_agrees_with_rest"].passed
    assert agreeing["live_agrees_with_rest"].metadata["compared"].value >= 1
    assert not differing["live_agrees_with_rest"].passed


@pytest.mark.parametrize("storage", ["sqlite", pytest.param("postgres", marks=pytest.mark.pg)])
def test_materialize_with_dagster_storage_from_prepared_home(
    storage: str, resources, app_paths: AppPaths, request, monkeypatch
) -> None:
    environ = {}
    if storage == "postgres":
        environ[PG_URL_VARIABLE] = request.getfixturevalue("pg_url")
        monkeypatch.setenv(PG_URL_VARIABLE, environ[PG_URL_VARIABLE])
    home = prepare_dagster_home(app_paths, environ)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert type(instance.run_storage).__name__.lower().startswith(storage)
        _materialize_universe(resources, instance)
        result = dg.materialize(
            [OHLC_ASSETS["1d"]], partition_key=_yesterday(), resources=resources, instance=instance
        )
        assert result.success
        event = instance.get_latest_materialization_event(dg.AssetKey("ohlc_1d"))
        assert event is not None


def _tick(name: str, at: datetime, instance: dg.DagsterInstance) -> Any:
    context = dg.build_schedule_context(
        instance=instance, scheduled_execution_time=at, repository_def=defs.get_repository_def()
    )
    return defs.resolve_schedule_def(name).evaluate_tick(context)


# A day well inside the partitions (which start ``history_days`` before the load day).
_DAY = (OHLC_PARTITIONS.start + timedelta(days=2)).date().isoformat()
_PREVIOUS_DAY = (OHLC_PARTITIONS.start + timedelta(days=1)).date().isoformat()


def _in_partitions(hour: int, minute: int) -> datetime:
    return OHLC_PARTITIONS.start + timedelta(days=2, hours=hour, minutes=minute)


def test_tail_schedule_fills_the_day_of_the_bar_that_just_closed() -> None:
    schedule = defs.resolve_schedule_def("ohlc_1h_tail_schedule")
    after_midnight = _in_partitions(0, 1)
    with dg.instance_for_test() as instance:
        [run] = _tick("ohlc_1h_tail_schedule", after_midnight, instance).run_requests
    assert run.partition_key == _PREVIOUS_DAY
    assert schedule.cron_schedule == "1 * * * *"
    universe = defs.resolve_schedule_def("universe_refresh_schedule")
    assert universe.cron_schedule == "7 * * * *"


def test_partition_older_than_the_rest_window_is_rebuilt_from_trades(resources) -> None:
    with dg.instance_for_test() as instance:
        _materialize_universe(resources, instance)
        result = dg.materialize(
            [OHLC_ASSETS["1m"], *OHLC_CHECKS["1m"]],
            partition_key=_yesterday(),
            resources=resources,
            instance=instance,
        )
    assert result.success
    [mat] = result.asset_materializations_for_node("ohlc_1m")
    meta = {k: v.value for k, v in mat.metadata.items()}
    assert "trades" in meta["sources"].split(", ")  # 1m REST reaches back only 12 hours
    assert meta["rows"] > 6 * 600  # most minutes of the day have trades for liquid pairs
    checks = _checks(result)
    assert checks["no_duplicate_bars"].passed and checks["bars_aligned"].passed
    assert checks["no_running_candle"].passed


def test_1m_tail_runs_every_ten_minutes_and_covers_both_days_after_midnight() -> None:
    schedule = defs.resolve_schedule_def("ohlc_1m_tail_schedule")
    with dg.instance_for_test() as instance:
        runs = _tick(schedule.name, _in_partitions(0, 1), instance).run_requests
    assert schedule.cron_schedule == "1/10 * * * *"
    assert [run.partition_key for run in runs] == [_PREVIOUS_DAY, _DAY]
    job = defs.resolve_job_def("ohlc_1m_tail_job")
    assert job.tags[OHLC_TAIL_TAG] == "1m"  # the run queue runs one per timeframe


def test_tail_schedule_skips_while_a_run_of_its_job_is_unfinished() -> None:
    at = _in_partitions(5, 1)
    job = defs.resolve_job_def("ohlc_1h_tail_job")
    with dg.instance_for_test() as instance:
        run = instance.create_run_for_job(job_def=job, status=dg.DagsterRunStatus.STARTED)
        other = instance.create_run_for_job(
            job_def=defs.resolve_job_def("ohlc_1d_tail_job"), status=dg.DagsterRunStatus.STARTED
        )
        busy = _tick("ohlc_1h_tail_schedule", at, instance)
        assert busy.run_requests == [] and run.run_id in (busy.skip_message or "")
        assert other.run_id not in (busy.skip_message or "")

        instance.report_run_failed(run)
        free = _tick("ohlc_1h_tail_schedule", at, instance)
    assert [r.partition_key for r in free.run_requests or []] == [_DAY]


def test_tail_schedule_is_not_blocked_for_good_by_an_old_unfinished_run() -> None:
    # A run whose worker died stays STARTED; once it is older than a few tail intervals, the
    # schedule stops waiting for it (run monitoring fails it after its maximum runtime).
    job = defs.resolve_job_def("ohlc_1h_tail_job")
    assert job.tags["dagster/max_runtime"] == str(TAIL_MAX_RUNTIME_SECONDS)
    with dg.instance_for_test() as instance:
        dead = instance.create_run_for_job(job_def=job, status=dg.DagsterRunStatus.STARTED)
        soon = datetime.now(UTC).replace(minute=1, second=0, microsecond=0) + timedelta(hours=1)
        assert _tick("ohlc_1h_tail_schedule", soon, instance).run_requests == []  # still young

        later = soon + timedelta(hours=STALE_AFTER_TAIL_INTERVALS)
        result = _tick("ohlc_1h_tail_schedule", later, instance)
    assert dead.run_id not in (result.skip_message or "")
    expected = [day.isoformat() for day in tail_partition_days(later, "1h")]
    assert [r.partition_key for r in result.run_requests or []] == expected


def test_dagster_home_limits_tail_runs_to_one_per_timeframe(app_paths: AppPaths) -> None:
    home = prepare_dagster_home(app_paths, {})
    with dg.DagsterInstance.from_config(str(home)) as instance:
        coordinator = instance.run_coordinator
        assert isinstance(coordinator, dg.QueuedRunCoordinator)
        limits = coordinator.get_run_queue_config().tag_concurrency_limits
    assert {"key": OHLC_TAIL_TAG, "value": {"applyLimitPerUniqueValue": True}, "limit": 1} in limits


def test_freshness_checks_flag_an_ohlc_asset_that_stopped_updating(
    resources: dict[str, object],
) -> None:
    checks = {check.check_key.asset_key.path[-1]: check for check in OHLC_FRESHNESS_CHECKS}
    assert set(checks) == {f"ohlc_{tf}" for tf in CONFIG.market_data.timeframes}
    assert freshness_limit("1m") == timedelta(minutes=30)
    assert freshness_limit("1d") == timedelta(days=3)
    sensor = defs.resolve_sensor_def("ohlc_freshness_sensor")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    check = checks["ohlc_1d"]
    with dg.instance_for_test() as instance:
        _materialize_universe(resources, instance)
        never = dg.materialize(
            [OHLC_ASSETS["1d"], check],
            selection=dg.AssetSelection.checks(check),
            resources=resources,
            instance=instance,
            raise_on_error=False,
        )
        dg.materialize(
            [OHLC_ASSETS["1d"]], partition_key=_yesterday(), resources=resources, instance=instance
        )
        fresh = dg.materialize(
            [OHLC_ASSETS["1d"], check],
            selection=dg.AssetSelection.checks(check),
            resources=resources,
            instance=instance,
        )
    [stalled] = never.get_asset_check_evaluations()
    [updated] = fresh.get_asset_check_evaluations()
    assert not stalled.passed and stalled.severity == dg.AssetCheckSeverity.WARN
    assert updated.passed
