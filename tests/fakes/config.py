"""Config files for tests: write config.yaml into the isolated config dir and load it."""

from typing import Any

import yaml

from krakked_core.config import AppConfig
from krakked_core.config_loading import load_config
from krakked_core.paths import AppPaths


def write_config(paths: AppPaths, rest_url: str, **sections: dict[str, Any]) -> AppConfig:
    """Write config.yaml aiming the REST client at ``rest_url`` (throttle raised for tests)."""
    data: dict[str, Any] = {"exchange": {"rest_url": rest_url, "public_rate_per_second": 500}}
    data.update(sections)
    paths.config_dir.mkdir(parents=True, exist_ok=True)
    paths.config_file.write_text(yaml.safe_dump(data))
    return load_config(paths)
