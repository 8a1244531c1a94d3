"""Registry and config: strategies built from config, typed parameters, unique userrefs."""

from pathlib import Path

import pytest

from krakked_core.config import AppConfig, UniverseFilterConfig
from krakked_core.config_loading import env_overrides, load_config_file, parse_config
from krakked_core.errors import ConfigError
from krakked_core.strategy.ema_cross_rsi import EmaCrossRsiStrategy
from krakked_core.strategy.registry import build_strategies
from krakked_core.strategy.trend_following import TrendFollowingStrategy


def _config(configs: dict, enabled: list[str]) -> AppConfig:
    return parse_config({"strategies": {"enabled": enabled, "configs": configs}}, origin="test")


def test_contract_example_config_builds_the_enabled_strategy() -> None:
    config = _config(
        {
            "trend_following_v1": {
                "type": "trend_following",
                "timeframes": ["1h", "4h"],
                "ma_fast": 20,
                "ma_slow": 50,
                "universe_filter": "default",
                "max_positions": 6,
                "per_trade_target_r_multiple": 2.0,
                "min_signal_confidence": 0.6,
            },
            "mean_reversion_v1": {
                "type": "mean_reversion",
                "timeframes": ["15m"],
                "enabled": False,
            },
        },
        ["trend_following_v1"],
    )
    [strategy] = build_strategies(config)

    assert isinstance(strategy, TrendFollowingStrategy)
    assert strategy.id == "trend_following_v1"
    assert strategy.timeframes == ("1h", "4h")
    assert strategy.params.ma_slow == 50


def test_enabled_flag_false_keeps_a_listed_strategy_off() -> None:
    config = _config({"x": {"type": "ema_cross_rsi", "enabled": False}}, ["x"])
    assert build_strategies(config) == []


def test_strategies_are_built_in_id_order() -> None:
    config = _config({"b": {"type": "ema_cross_rsi"}, "a": {"type": "trend_following"}}, ["b", "a"])
    built = build_strategies(config)
    assert [s.id for s in built] == ["a", "b"]
    assert isinstance(built[1], EmaCrossRsiStrategy)


def test_unknown_parameter_is_a_config_error_naming_the_key() -> None:
    with pytest.raises(ConfigError, match=r"strategies\.configs\.t\.ma_fsat: unknown key"):
        _config({"t": {"type": "trend_following", "ma_fsat": 5}}, [])


def test_bad_parameter_value_names_the_key_and_value() -> None:
    with pytest.raises(ConfigError, match=r"strategies\.configs\.t\.ma_slow.*'many'"):
        _config({"t": {"type": "trend_following", "ma_slow": "many"}}, [])


def test_inconsistent_parameters_are_rejected() -> None:
    with pytest.raises(ConfigError, match=r"strategies\.configs\.t.*ma_fast \(50\)"):
        _config({"t": {"type": "trend_following", "ma_fast": 50, "ma_slow": 20}}, [])


def test_unknown_strategy_type_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"strategies\.configs\.t\.type: unknown strategy type"):
        _config({"t": {"type": "martingale"}}, [])


def test_duplicate_userref_names_both_strategies() -> None:
    configs = {
        "a": {"type": "trend_following", "userref": 7},
        "b": {"type": "ema_cross_rsi", "userref": 7},
    }
    with pytest.raises(ConfigError, match=r"configs\.a\.userref and configs\.b\.userref"):
        _config(configs, [])


def test_config_file_with_a_bad_strategy_fails_at_load(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(
        "strategies:\n  configs:\n    m:\n      type: mean_reversion\n      band: keltner\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"strategies\.configs\.m\.band"):
        load_config_file(path)


def test_universe_filter_is_typed() -> None:
    with pytest.raises(ConfigError, match=r"universe_filter"):
        _config({"t": {"type": "trend_following", "universe_filter": {"top_n": 3}}}, [])


def test_universe_filter_fields_can_be_set_from_the_environment() -> None:
    env = {
        "KRAKKED_STRATEGIES__CONFIGS__T__TYPE": "trend_following",
        "KRAKKED_STRATEGIES__CONFIGS__T__UNIVERSE_FILTER__TOP_N_BY_VOLUME": "3",
        "KRAKKED_STRATEGIES__CONFIGS__T__MA_FAST": "5",
    }
    config = parse_config(env_overrides(env), origin="environment")
    strategy = config.strategies.configs["T"]  # mapping keys keep their case
    assert strategy.universe_filter == UniverseFilterConfig(top_n_by_volume=3)
    assert strategy.params == {"ma_fast": "5"}
