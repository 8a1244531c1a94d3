from pathlib import Path

import dagster as dg
import yaml

from krakked_core.dagster_home import dagster_yaml_text, prepare_dagster_home
from krakked_core.paths import AppPaths

ROOT_DAGSTER_YAML = Path(__file__).resolve().parents[2] / "dagster.yaml"


def test_root_dagster_yaml_holds_exactly_the_settings_krakked_up_writes(tmp_path: Path) -> None:
    written = yaml.safe_load(dagster_yaml_text(tmp_path, environ={}))
    root = yaml.safe_load(ROOT_DAGSTER_YAML.read_text(encoding="utf-8"))

    written.pop("storage")
    assert root == written


def test_prepared_home_turns_run_monitoring_on_so_dead_runs_end(app_paths: AppPaths) -> None:
    home = prepare_dagster_home(app_paths, {})

    with dg.DagsterInstance.from_config(str(home)) as instance:  # validates against the schema
        assert instance.run_monitoring_enabled
        assert instance.run_monitoring_start_timeout_seconds == 180
        assert instance.run_monitoring_cancel_timeout_seconds == 180
        # No global limit (a long partition backfill is legitimate); the tail jobs carry one.
        assert instance.run_monitoring_max_runtime_seconds == 0


def test_prepared_home_hides_the_community_modal_and_limits_concurrent_runs(
    app_paths: AppPaths,
) -> None:
    home = prepare_dagster_home(app_paths, {})

    with dg.DagsterInstance.from_config(str(home)) as instance:  # validates against the schema
        assert instance.nux_enabled is False
        coordinator = instance.run_coordinator
        assert isinstance(coordinator, dg.QueuedRunCoordinator)
        assert coordinator.get_run_queue_config().max_concurrent_runs == 4
