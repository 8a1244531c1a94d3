"""``krakked risk evaluate``'s engine: scenario keys in, actions and risk status out."""

from datetime import UTC, datetime

import pytest

from krakked_core.errors import ConfigError
from krakked_core.risk.scenario import evaluate_scenario
from tests.fakes.candles import T0
from tests.fakes.risk import scenario, scenario_bars

NOW = datetime.fromtimestamp(T0, UTC).isoformat()


def test_scenario_output_has_every_action_field_with_money_as_strings() -> None:
    result = evaluate_scenario(scenario()).to_json()

    assert result["actions"] == [
        {
            "pair": "XBTUSD",
            "strategy_id": "trend",
            "action_type": "open",
            "target_base_size": "1",
            "target_notional_usd": "20000",
            "current_base_size": "0",
            "blocked": False,
            "clamped": False,
            "blocked_reasons": [],
            "reason": "trend enter: sized by ATR: 1% of equity / $1000 risk per unit = 1",
        }
    ]
    assert result["risk_status"] == {
        "kill_switch_active": False,
        "kill_switch_reasons": [],
        "daily_drawdown_pct": "0",
        "drift_flag": False,
        "total_exposure_pct": "20",
        "per_asset_exposure_pct": {"ETH": "20"},
        "per_strategy_exposure_pct": {"trend": "20"},
    }


def test_scenario_kill_switch_with_a_reason_blocks_the_entry() -> None:
    result = evaluate_scenario(scenario(kill_switch="maintenance")).to_json()
    [action] = result["actions"]
    assert action["blocked"] and action["blocked_reasons"] == ["kill_switch_manual"]
    assert "maintenance" in action["reason"]
    assert result["risk_status"]["kill_switch_active"] is True


def test_scenario_drawdown_from_equity_history() -> None:
    history = [[datetime.fromtimestamp(T0 - 3600, UTC).isoformat(), "125000"]]
    status = evaluate_scenario(scenario(equity_history=history)).to_json()["risk_status"]
    assert status["daily_drawdown_pct"] == "20"
    assert status["kill_switch_reasons"] == ["kill_switch_drawdown"]


def test_scenario_strategy_overrides_change_the_stop_multiple() -> None:
    data = scenario(strategies={"trend": {"stop_atr_multiple": 4}})
    [action] = evaluate_scenario(data).to_json()["actions"]
    assert action["target_base_size"] == "0.5"


def test_scenario_liquidity_comes_from_the_last_24h_of_bars() -> None:
    # 21 bars × 0.01 × 20 000 = $4 200, far below the $100 000 default floor.
    data = scenario(bars={"XBTUSD": scenario_bars(20000, 500, volume=0.01)})
    [action] = evaluate_scenario(data).to_json()["actions"]
    assert action["blocked_reasons"] == ["min_liquidity_24h_usd"]


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"now": "2023-11-14T22:00:00"}, "scenario.now"),
        ({"equity_usd": "lots"}, "scenario.equity_usd"),
        ({"surprise": 1}, "scenario.surprise: unknown key"),
        ({"risk": {"max_per_asset_pct": -1}}, "scenario.risk.max_per_asset_pct"),
        ({"risk": {"max_risk": 1}}, "scenario.risk.max_risk: unknown key"),
        ({"strategies": {"trend": {"stop_atr_multple": 3}}}, "strategies.trend.stop_atr_multple"),
        ({"positions": [{"pair": "XBTUSD", "base_size": "-1", "price": "1"}]}, "positions.0"),
        (
            {
                "intents": [
                    {"strategy_id": "t", "pair": "X", "side": "short", "intent_type": "enter"}
                ]
            },
            "scenario.intents.0.side",
        ),
        ({"bars": {"XBTUSD": [[1, 2, 3]]}}, "scenario.bars.XBTUSD.0"),
    ],
)
def test_bad_scenario_is_a_config_error_naming_the_key(overrides: dict, key: str) -> None:
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        evaluate_scenario(scenario(**overrides))
