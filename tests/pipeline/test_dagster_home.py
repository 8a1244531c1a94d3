from pathlib import Path

import yaml

from krakked_core.dagster_home import dagster_yaml_text

ROOT_DAGSTER_YAML = Path(__file__).resolve().parents[2] / "dagster.yaml"


def test_root_dagster_yaml_holds_exactly_the_settings_krakked_up_writes(tmp_path: Path) -> None:
    written = yaml.safe_load(dagster_yaml_text(tmp_path, environ={}))
    root = yaml.safe_load(ROOT_DAGSTER_YAML.read_text(encoding="utf-8"))

    written.pop("storage")
    assert root == written
