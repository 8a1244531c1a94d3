"""The resource set: one clock for every resource, the config parsed once per process."""

from datetime import UTC, datetime

import pytest
import yaml

from krakked_core.paths import AppPaths
from krakked_pipeline.resources import ClockResource, KrakkedSettings, build_resources

PINNED = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def _settings(app_paths: AppPaths) -> KrakkedSettings:
    return KrakkedSettings(config_dir=str(app_paths.config_dir), data_dir=str(app_paths.data_dir))


def test_the_config_is_parsed_once_and_again_only_when_a_file_or_variable_changes(
    app_paths: AppPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    app_paths.config_file.write_text(yaml.safe_dump({"risk": {"max_open_positions": 3}}))
    settings = _settings(app_paths)

    first = settings.app_config()
    assert settings.app_config() is first  # not read again
    assert _settings(app_paths).app_config() is first  # another resource of the same process

    app_paths.config_file.write_text(yaml.safe_dump({"risk": {"max_open_positions": 4}}))
    edited = settings.app_config()
    assert edited.risk.max_open_positions == 4

    monkeypatch.setenv("KRAKKED_RISK__MAX_OPEN_POSITIONS", "5")
    assert settings.app_config().risk.max_open_positions == 5


def test_every_resource_reads_the_one_clock_it_is_given(app_paths: AppPaths) -> None:
    resources = build_resources(_settings(app_paths), ClockResource(fixed_now=PINNED.isoformat()))

    market_data = resources["market_data"]
    engine = resources["strategy_engine"]
    assert market_data.now() == int(PINNED.timestamp())  # type: ignore[attr-defined]
    assert engine.clock is resources["clock"]  # type: ignore[attr-defined]
    assert resources["portfolio"].clock is resources["clock"]  # type: ignore[attr-defined]
