"""candle_close_sensor ticks and strategy_cycle_job runs against a real instance and app DB."""

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import yaml
from sqlalchemy import Engine

from krakked_core.paths import AppPaths
from krakked_pipeline.definitions import defs
from krakked_pipeline.jobs import strategy_cycle_job
from krakked_pipeline.resources import ClockResource, KrakkedSettings, build_resources
from tests.decisions.world import CLOSE, CONFIG, HOUR, World, rising_bars
from tests.fakes.pairs import usd_pair

XBT = usd_pair("XBT")
CLOSE_TS = int(CLOSE.timestamp())
RUN_KEY = f"1h:{CLOSE_TS}"


@pytest.fixture
def world(engine: Engine, db_url: str, tmp_path: Path, app_paths: AppPaths) -> World:
    config = {
        **CONFIG,
        "db": {"url": db_url},
        "market_data": {"ohlc_store": {"root_dir": str(tmp_path / "ohlc")}},
    }
    app_paths.config_file.write_text(yaml.safe_dump(config))
    return World(engine, tmp_path).with_market([XBT], {"XBTUSD": rising_bars(30, last_close=129)})


def _resources(app_paths: AppPaths, at_seconds: float) -> dict[str, Any]:
    settings = KrakkedSettings(
        config_dir=str(app_paths.config_dir), data_dir=str(app_paths.data_dir)
    )
    clock = ClockResource(fixed_now=(CLOSE + timedelta(seconds=at_seconds)).isoformat())
    return build_resources(settings, clock)


def _tick(
    app_paths: AppPaths, instance: dg.DagsterInstance, at_seconds: float, cursor: str | None = None
) -> Any:  # the tick's SensorExecutionData
    with dg.build_sensor_context(
        instance=instance,
        cursor=cursor,
        resources=_resources(app_paths, at_seconds),
        definitions=defs,
    ) as context:
        return defs.resolve_sensor_def("candle_close_sensor").evaluate_tick(context)


def _publish_closed_bar(world: World) -> None:
    bar = rising_bars(1, last_close=129)[0]
    assert bar.time == CLOSE_TS - HOUR
    world.live.publish(closed_bars=[("XBTUSD", "1h", bar)])


def test_sensor_when_bar_published_then_one_run_per_candle_and_cursor_moves(
    world: World, app_paths: AppPaths
) -> None:
    _publish_closed_bar(world)
    with dg.instance_for_test() as instance:
        first = _tick(app_paths, instance, at_seconds=5)
        [request] = first.run_requests
        assert request.run_key == RUN_KEY
        assert request.run_config == {
            "ops": {"observe_world": {"config": {"timeframe": "1h", "close_ts": CLOSE_TS}}}
        }
        assert json.loads(first.cursor) == {"1h": CLOSE_TS}
        again = _tick(app_paths, instance, at_seconds=9, cursor=first.cursor)
        assert again.run_requests == []
        assert "no candle has closed" in (again.skip_message or "")


def test_sensor_when_cursor_lost_then_same_run_key_so_dagster_starts_no_second_run(
    world: World, app_paths: AppPaths
) -> None:
    _publish_closed_bar(world)
    with dg.instance_for_test() as instance:
        before = _tick(app_paths, instance, at_seconds=5)
        after_restart = _tick(app_paths, instance, at_seconds=30, cursor=None)
    assert [r.run_key for r in after_restart.run_requests] == [
        r.run_key for r in before.run_requests
    ]


def test_sensor_when_bar_not_published_then_waits_until_grace_passes(
    world: World, app_paths: AppPaths
) -> None:
    with dg.instance_for_test() as instance:
        early = _tick(app_paths, instance, at_seconds=5)
        assert early.run_requests == []
        assert "waiting for the bar" in (early.skip_message or "")
        late = _tick(app_paths, instance, at_seconds=25, cursor=early.cursor)
    assert [r.run_key for r in late.run_requests] == [RUN_KEY]


def test_sensor_when_data_stale_then_skips_saying_so_and_keeps_the_cursor(
    world: World, app_paths: AppPaths
) -> None:
    _publish_closed_bar(world)
    world.publish(fresh=["XBTUSD"], last={"XBTUSD": 129}, connected=False)
    with dg.instance_for_test() as instance:
        result = _tick(
            app_paths, instance, at_seconds=5, cursor=json.dumps({"1h": CLOSE_TS - HOUR})
        )
    assert result.run_requests == []
    assert "stale" in (result.skip_message or "")
    assert json.loads(result.cursor) == {"1h": CLOSE_TS - HOUR}


def test_job_when_run_then_plan_stored_with_counts_and_decisions_observed(
    world: World, app_paths: AppPaths, tmp_path: Path
) -> None:
    run_config = {"ops": {"observe_world": {"config": {"timeframe": "1h", "close_ts": CLOSE_TS}}}}
    # Values between ops go through files, pickled, as under the daemon.
    io = dg.FilesystemIOManager(base_dir=str(tmp_path / "io"))
    with dg.instance_for_test() as instance:
        result = strategy_cycle_job.execute_in_process(
            run_config=run_config,
            resources={**_resources(app_paths, 5), "io_manager": io},
            instance=instance,
        )
    assert result.success
    assert any((tmp_path / "io").rglob("observe_world*"))  # the world crossed ops as a file
    [record] = world.decisions.recent()
    assert result.output_for_node("persist_plan") == record.plan_id
    # No credentials in this test: the sync fails, so the plan opens nothing and says why.
    assert (record.intents_count, record.actions_count, record.blocked_count) == (1, 1, 1)
    assert "NoCredentialsError" in record.notes
    [observation] = [
        e.asset_observation_data.asset_observation
        for e in result.all_events
        if e.event_type == dg.DagsterEventType.ASSET_OBSERVATION
    ]
    assert observation.asset_key == dg.AssetKey("decisions")
    meta = observation.metadata
    assert meta["blocked"].value == 1
    assert meta["blocked_reasons"].value == {"valuation_incomplete": 1}


def test_sensor_when_no_strategy_enabled_then_skips_saying_so(
    world: World, app_paths: AppPaths
) -> None:
    config = yaml.safe_load(app_paths.config_file.read_text())
    config["strategies"]["enabled"] = []
    app_paths.config_file.write_text(yaml.safe_dump(config))
    with dg.instance_for_test() as instance:
        result = _tick(app_paths, instance, at_seconds=5)
    assert result.run_requests == []
    assert result.skip_message == "no strategy is enabled: nothing to decide"


def test_job_when_timeframe_unknown_then_fails_and_stores_nothing(
    world: World, app_paths: AppPaths
) -> None:
    run_config = {"ops": {"observe_world": {"config": {"timeframe": "2h", "close_ts": CLOSE_TS}}}}
    with dg.instance_for_test() as instance:
        result = strategy_cycle_job.execute_in_process(
            run_config=run_config,
            resources=_resources(app_paths, 5),
            instance=instance,
            raise_on_error=False,
        )
    assert not result.success
    assert world.decisions.recent() == []
