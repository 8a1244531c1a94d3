import json
import stat
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from krakked_core.cli import app
from krakked_core.config import AppConfig, env_overrides, load_config, load_config_file
from krakked_core.errors import ConfigError
from krakked_core.paths import AppPaths


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_missing_config_file_gives_documented_defaults(app_paths: AppPaths) -> None:
    config = load_config(app_paths, environ={})

    assert config == AppConfig()
    profile = config.region_profile()
    assert (profile.code, profile.default_quote) == ("US_CA", "USD")
    assert not (profile.supports_margin or profile.supports_futures or profile.supports_staking)
    assert config.exchange.rest_url == "https://api.kraken.com"
    assert config.exchange.ws_url == "wss://ws.kraken.com/v2"
    assert config.market_data.ws.stale_tolerance_seconds == 60
    assert config.execution.mode == "paper"
    assert config.execution.effective_validate_only is True
    assert config.portfolio.reconciliation_tolerance == Decimal("1.0")
    assert config.risk.max_open_positions == 10


def test_config_file_sets_region_and_capabilities(app_paths: AppPaths) -> None:
    write(
        app_paths.config_file,
        "region:\n  code: EU\n  capabilities:\n    supports_staking: true\n  default_quote: EUR\n",
    )

    profile = load_config(app_paths, environ={}).region_profile()

    assert profile.code == "EU"
    assert profile.supports_staking is True
    assert profile.supports_margin is False
    assert profile.default_quote == "EUR"


def test_env_file_overlays_base_file_and_variables_win(app_paths: AppPaths) -> None:
    write(app_paths.config_file, "exchange:\n  rest_url: http://base\n  timeout_seconds: 5\n")
    write(app_paths.env_config_file("prod"), "exchange:\n  rest_url: http://prod\n")
    environ = {
        "KRAKKED_ENV": "prod",
        "KRAKKED_EXCHANGE__TIMEOUT_SECONDS": "7.5",
        "KRAKKED_MARKET_DATA__WS__STALE_TOLERANCE_SECONDS": "30",
        "KRAKKED_API_KEY": "not-a-config-key",
    }

    config = load_config(app_paths, environ=environ)

    assert config.exchange.rest_url == "http://prod"
    assert config.exchange.timeout_seconds == 7.5
    assert config.market_data.ws.stale_tolerance_seconds == 30


def test_env_values_are_typed_like_yaml() -> None:
    overrides = env_overrides(
        {"KRAKKED_UNIVERSE__EXCLUDE_PAIRS": "[XDGUSD, ADAUSD]", "KRAKKED_UI__READ_ONLY": "true"}
    )
    assert overrides == {
        "universe": {"exclude_pairs": ["XDGUSD", "ADAUSD"]},
        "ui": {"read_only": True},
    }


def test_unknown_key_fails_with_dotted_path(app_paths: AppPaths) -> None:
    write(app_paths.config_file, "market_data:\n  ws:\n    stale_tolerence_seconds: 5\n")

    with pytest.raises(ConfigError) as info:
        load_config(app_paths, environ={})

    assert "market_data.ws.stale_tolerence_seconds: unknown key" in str(info.value)


def test_invalid_value_names_key_value_and_reason(app_paths: AppPaths) -> None:
    environ = {"KRAKKED_RISK__MAX_OPEN_POSITIONS": "many"}

    with pytest.raises(ConfigError) as info:
        load_config(app_paths, environ=environ)

    message = str(info.value)
    assert "risk.max_open_positions" in message
    assert "'many'" in message
    assert "valid integer" in message


def test_live_mode_without_opt_in_is_refused(app_paths: AppPaths) -> None:
    write(app_paths.config_file, "execution:\n  mode: live\n")

    with pytest.raises(ConfigError, match="live_mode_enabled"):
        load_config(app_paths, environ={})


def test_secret_values_never_appear_in_errors(app_paths: AppPaths) -> None:
    write(
        app_paths.config_file, "ui:\n  auth:\n    enabled: yes-please\n    token: hunter2-secret\n"
    )

    with pytest.raises(ConfigError) as info:
        load_config(app_paths, environ={})

    assert "hunter2-secret" not in str(info.value)


def test_malformed_yaml_is_a_config_error(app_paths: AppPaths) -> None:
    write(app_paths.config_file, "region: [unclosed\n")

    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(app_paths, environ={})


def test_directories_are_created_owner_only(tmp_path: Path) -> None:
    paths = AppPaths.from_env(
        {"KRAKKED_CONFIG_DIR": str(tmp_path / "c"), "KRAKKED_DATA_DIR": str(tmp_path / "d")}
    )

    paths.ensure()

    for directory in (paths.config_dir, paths.data_dir):
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700


def test_platform_dirs_used_without_overrides() -> None:
    paths = AppPaths.from_env({})
    assert "krakked" in str(paths.config_dir)
    assert "krakked" in str(paths.data_dir)


def test_cli_config_show_redacts_secrets(app_paths: AppPaths) -> None:
    write(
        app_paths.config_file,
        "ui:\n  auth:\n    enabled: true\n    token: hunter2-secret\n"
        "db:\n  url: postgresql://bot:pw-secret@db/krakked\n",
    )

    result = CliRunner().invoke(app, ["config", "show", "--json"])

    assert result.exit_code == 0, result.output
    assert "hunter2-secret" not in result.output
    assert "pw-secret" not in result.output
    shown = json.loads(result.stdout)
    assert shown["ui"]["auth"]["token"] == "**********"
    assert shown["ui"]["auth"]["enabled"] is True


def test_cli_config_validate_reports_errors_and_exits_nonzero(tmp_path: Path) -> None:
    good = write(tmp_path / "good.yaml", "universe:\n  min_24h_volume_usd: 5000\n")
    bad = write(tmp_path / "bad.yaml", "universe:\n  min_24h_volume_usd: -1\n")

    ok = CliRunner().invoke(app, ["config", "validate", str(good)])
    failed = CliRunner().invoke(app, ["config", "validate", str(bad)])

    assert ok.exit_code == 0
    assert failed.exit_code == 1
    assert "universe.min_24h_volume_usd" in failed.output
    assert load_config_file(good).universe.min_24h_volume_usd == 5000


def test_cli_invalid_config_stops_any_command(app_paths: AppPaths) -> None:
    write(app_paths.config_file, "bogus_section: {}\n")

    result = CliRunner().invoke(app, ["db", "status"])

    assert result.exit_code == 1
    assert "bogus_section: unknown key" in result.output
