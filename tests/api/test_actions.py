"""The mutating routes: confirmations, validation naming the field, 404s, and an audit row for
every attempt, however it ended."""

from typing import Any

from pydantic import SecretStr

from krakked_core.clock import ManualClock
from krakked_core.control.compose import READ_TTL_SECONDS
from krakked_core.control_state import ControlStateStore
from krakked_core.secrets import Credentials
from tests.api.conftest import Api, ApiFactory


def _audit(api: Api) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = api.data("/api/audit")
    return entries


def test_kill_switch_when_activated_then_no_phrase_needed_and_risk_status_shows_it(
    api: Api,
) -> None:
    response = api.send("post", "/api/risk/kill_switch", {"active": True, "reason": "incident"})
    assert response.status_code == 200, response.text
    state = response.json()["data"]
    assert (state["active"], state["reason"], state["source"]) == (True, "incident", "api")
    status = api.data("/api/risk/status")
    assert status["kill_switch_active"] is True
    assert "kill_switch_manual" in status["kill_switch_reasons"]
    [entry] = _audit(api)
    assert (entry["action"], entry["outcome"], entry["client"]) == (
        "set_kill_switch",
        "ok",
        "127.0.0.1",
    )
    assert entry["params"] == {"active": True, "reason": "incident"}


def test_kill_switch_when_cleared_without_the_phrase_then_422_and_still_on(api: Api) -> None:
    api.send("post", "/api/risk/kill_switch", {"active": True})
    for confirm in ("", "disable kill switch", "DISABLE"):
        response = api.send("post", "/api/risk/kill_switch", {"active": False, "confirm": confirm})
        assert response.status_code == 422
        assert 'confirm: type "DISABLE KILL SWITCH"' in response.json()["error"]
    assert api.data("/api/risk/kill_switch")["active"] is True
    outcomes = [e["outcome"] for e in _audit(api)]
    assert outcomes == ["refused", "refused", "refused", "ok"]


def test_kill_switch_when_cleared_with_the_phrase_then_off(api: Api) -> None:
    api.send("post", "/api/risk/kill_switch", {"active": True})
    body = {"active": False, "confirm": "DISABLE KILL SWITCH"}
    assert api.send("post", "/api/risk/kill_switch", body).status_code == 200
    assert api.data("/api/risk/kill_switch")["active"] is False


def test_risk_config_when_patched_then_overridden_and_in_force(api: Api) -> None:
    response = api.send("patch", "/api/risk/config", {"max_open_positions": 3})
    assert response.status_code == 200, response.text
    config = response.json()["data"]
    assert (config["max_open_positions"], config["overridden"]) == (3, ["max_open_positions"])
    assert api.data("/api/system/config")["risk"]["max_open_positions"] == 3
    assert _audit(api)[0]["params"] == {"max_open_positions": 3}


def test_risk_config_when_value_out_of_range_then_422_naming_the_field_and_unchanged(
    api: Api,
) -> None:
    response = api.send("patch", "/api/risk/config", {"max_risk_per_trade_pct": 500})
    assert response.status_code == 422
    assert "risk.max_risk_per_trade_pct" in response.json()["error"]
    assert api.data("/api/risk/config")["max_risk_per_trade_pct"] == 1.0
    assert _audit(api)[0]["outcome"] == "refused"


def test_risk_config_when_unknown_key_then_422_naming_it(api: Api) -> None:
    response = api.send("patch", "/api/risk/config", {"max_leverage": 3})
    assert response.status_code == 422
    assert "body.max_leverage" in response.json()["error"]


def test_strategy_when_enabled_then_listed_enabled_and_config_says_overridden(api: Api) -> None:
    response = api.send("patch", "/api/strategies/mean_rev_v1/enabled", {"enabled": True})
    assert response.status_code == 200, response.text
    assert response.json()["data"]["enabled"] is True
    config = api.data("/api/strategies/mean_rev_v1/config")
    assert (config["enabled"], config["overridden"]) == (True, ["enabled"])
    assert "mean_rev_v1" in api.data("/api/system/config")["strategies"]["enabled"]


def test_strategy_when_unknown_then_404_and_audited_refused(api: Api) -> None:
    response = api.send("patch", "/api/strategies/nope/enabled", {"enabled": False})
    assert response.status_code == 404
    [entry] = _audit(api)
    assert (entry["action"], entry["outcome"]) == ("set_strategy_enabled", "refused")


def test_strategy_config_when_safe_field_tuned_then_in_force(api: Api) -> None:
    response = api.send(
        "patch", "/api/strategies/trend_v1/config", {"max_positions": 2, "params": {"ma_fast": 5}}
    )
    assert response.status_code == 200, response.text
    config = response.json()["data"]
    assert (config["max_positions"], config["params"]["ma_fast"]) == (2, 5)
    assert config["overridden"] == ["max_positions", "params"]


def test_strategy_config_when_type_changed_then_422_naming_it(api: Api) -> None:
    response = api.send("patch", "/api/strategies/trend_v1/config", {"type": "mean_reversion"})
    assert response.status_code == 422
    assert "body.type" in response.json()["error"]


def test_strategy_config_when_params_invalid_then_422_naming_the_param(api: Api) -> None:
    response = api.send("patch", "/api/strategies/trend_v1/config", {"params": {"ma_fst": 5}})
    assert response.status_code == 422
    assert "strategies.configs.trend_v1.ma_fst" in response.json()["error"]
    assert api.data("/api/strategies/trend_v1/config")["overridden"] == []


def test_snapshot_when_taken_then_in_equity_history(api: Api) -> None:
    response = api.send("post", "/api/portfolio/snapshot")
    assert response.status_code == 200, response.text
    snapshot = response.json()["data"]
    assert snapshot["complete"] is True
    [listed] = api.data("/api/portfolio/equity_history")
    assert listed == snapshot
    assert _audit(api)[0]["action"] == "create_snapshot"


def test_execution_mode_when_dry_run_then_in_force(api: Api) -> None:
    response = api.send("patch", "/api/system/execution_mode", {"mode": "dry_run"})
    assert response.status_code == 200, response.text
    assert api.data("/api/system/health")["mode"] == "dry_run"


def test_execution_mode_when_live_without_phrase_then_422(api: Api) -> None:
    response = api.send("patch", "/api/system/execution_mode", {"mode": "live"})
    assert response.status_code == 422
    assert '"GO LIVE"' in response.json()["error"]


def test_execution_mode_when_live_not_enabled_in_config_then_409(api: Api) -> None:
    body = {"mode": "live", "confirm": "GO LIVE"}
    response = api.send("patch", "/api/system/execution_mode", body)
    assert response.status_code == 409
    assert "live_mode_enabled" in response.json()["error"]
    assert api.data("/api/system/health")["mode"] == "paper"


def test_decisions_when_none_yet_then_empty_list(api: Api) -> None:
    assert api.data("/api/decisions") == []


def test_risk_status_when_changed_through_the_api_then_shown_at_once(api: Api) -> None:
    assert api.data("/api/risk/status")["kill_switch_active"] is False  # now a recent answer
    api.send("post", "/api/risk/kill_switch", {"active": True})
    assert api.data("/api/risk/status")["kill_switch_active"] is True


def test_risk_status_when_changed_by_another_process_then_shown_once_the_answer_ages(
    api: Api, clock: ManualClock
) -> None:
    assert api.data("/api/risk/status")["kill_switch_active"] is False
    ControlStateStore(api.db, clock).set_kill_switch(True, reason="cli", source="cli")
    assert api.data("/api/risk/status")["kill_switch_active"] is False  # shared for a moment
    clock.advance(READ_TTL_SECONDS)
    assert api.data("/api/risk/status")["kill_switch_active"] is True
    assert api.data("/api/risk/kill_switch")["active"] is True  # the switch itself: never cached


def test_execution_mode_when_live_enabled_and_key_works_then_live(make_api: ApiFactory) -> None:
    api = make_api(live_mode_enabled=True)
    body = {"mode": "live", "confirm": "GO LIVE"}
    response = api.send("patch", "/api/system/execution_mode", body)
    assert response.status_code == 200, response.text
    assert api.data("/api/system/health")["mode"] == "live"
    assert _audit(api)[0]["params"] == {"mode": "live"}  # the phrase is not a parameter


def test_execution_mode_when_live_and_key_refused_then_409_saying_why(
    make_api: ApiFactory,
) -> None:
    wrong = Credentials(api_key=SecretStr("bad"), api_secret=SecretStr("c2VjcmV0"))
    api = make_api(live_mode_enabled=True, key=wrong)
    body = {"mode": "live", "confirm": "GO LIVE"}
    response = api.send("patch", "/api/system/execution_mode", body)
    assert response.status_code == 409
    assert "live mode needs a working API key" in response.json()["error"]
    assert api.data("/api/system/health")["mode"] == "paper"


def test_execution_mode_when_live_and_no_key_then_409(make_api: ApiFactory) -> None:
    api = make_api(live_mode_enabled=True, key=None)
    body = {"mode": "live", "confirm": "GO LIVE"}
    response = api.send("patch", "/api/system/execution_mode", body)
    assert response.status_code == 409
    assert "needs API credentials" in response.json()["error"]


def test_risk_config_when_reset_then_file_values_again(api: Api) -> None:
    api.send("patch", "/api/risk/config", {"max_open_positions": 3})
    response = api.send("delete", "/api/risk/config")
    assert response.status_code == 200, response.text
    config = response.json()["data"]
    assert (config["max_open_positions"], config["overridden"]) == (10, [])
    assert [e["action"] for e in _audit(api)] == ["reset_risk_config", "change_risk_config"]


def test_strategy_config_when_reset_then_file_values_and_enabled_flag_again(api: Api) -> None:
    api.send("patch", "/api/strategies/mean_rev_v1/enabled", {"enabled": True})
    response = api.send("delete", "/api/strategies/mean_rev_v1/config")
    assert response.status_code == 200, response.text
    assert response.json()["data"]["overridden"] == []
    listed = {s["id"]: s["enabled"] for s in api.data("/api/strategies")}
    assert listed["mean_rev_v1"] is False
    assert api.send("delete", "/api/strategies/nope/config").status_code == 404
