import json
import stat
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from krakked_core.cli import app
from krakked_core.config import AppConfig
from krakked_core.config_loading import env_overrides, load_config, load_config_file
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


def test_env_values_are_converted_by_field_type(app_paths: AppPaths) -> None:
    environ = {
        "KRAKKED_UNIVERSE__EXCLUDE_PAIRS": "[XDGUSD, ADAUSD]",
        "KRAKKED_UI__READ_ONLY": "true",
        "KRAKKED_UI__PORT": "9090",
        "KRAKKED_RISK__MIN_LIQUIDITY_24H_USD": "null",
    }

    config = load_config(app_paths, environ=environ)

    assert config.universe.exclude_pairs == ("XDGUSD", "ADAUSD")
    assert config.ui.read_only is True
    assert config.ui.port == 9090
    assert config.risk.min_liquidity_24h_usd is None


def test_env_string_values_arrive_whole_and_untyped(app_paths: AppPaths) -> None:
    environ = {
        "KRAKKED_UI__AUTH__ENABLED": "true",
        "KRAKKED_UI__AUTH__TOKEN": "abc #def",  # YAML would cut this at the comment
        "KRAKKED_REGION__CODE": "NO",  # YAML would make this False
    }

    config = load_config(app_paths, environ=environ)

    assert config.ui.auth.token.get_secret_value() == "abc #def"
    assert config.region.code == "NO"
    numeric = load_config(app_paths, environ={"KRAKKED_UI__AUTH__TOKEN": "12345678"})
    assert numeric.ui.auth.token.get_secret_value() == "12345678"


def test_env_mapping_keys_keep_their_case(app_paths: AppPaths) -> None:
    environ = {"KRAKKED_PORTFOLIO__VALUATION_PAIRS__BTC": "XBTUSD"}

    config = load_config(app_paths, environ=environ)

    assert config.portfolio.valuation_pairs == {"BTC": "XBTUSD"}
    assert env_overrides(environ) == {"portfolio": {"valuation_pairs": {"BTC": "XBTUSD"}}}


def test_contract_strategy_example_with_flat_parameters_loads(app_paths: AppPaths) -> None:
    write(
        app_paths.config_file,
        "strategies:\n  enabled: [trend_following_v1]\n  configs:\n"
        "    trend_following_v1:\n      type: trend_following\n      timeframes: ['1h', '4h']\n"
        "      ma_fast: 20\n      ma_slow: 50\n      min_signal_confidence: 0.6\n",
    )

    strategy = load_config(app_paths, environ={}).strategies.configs["trend_following_v1"]

    assert strategy.timeframes == ("1h", "4h")
    assert strategy.params == {"ma_fast": 20, "ma_slow": 50, "min_signal_confidence": 0.6}


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


def test_history_days_must_be_at_least_one(app_paths: AppPaths) -> None:
    assert load_config(app_paths, environ={}).market_data.history_days == 30
    environ = {"KRAKKED_MARKET_DATA__HISTORY_DAYS": "0"}

    with pytest.raises(ConfigError) as info:
        load_config(app_paths, environ=environ)

    assert "market_data.history_days" in str(info.value)
    assert "greater than or equal to 1" in str(info.value)
