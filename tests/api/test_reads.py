"""Every read route against the real services: shapes, money as decimal strings, the envelope."""

from decimal import Decimal

import requests

from tests.api.conftest import TOKEN, Api, ApiFactory


def _is_decimal_text(value: object) -> bool:
    return isinstance(value, str) and Decimal(value).is_finite()


def test_health_when_no_sidecar_then_market_data_not_ok_and_mode_paper(api: Api) -> None:
    health = api.data("/api/system/health")
    assert health["mode"] == "paper"
    assert health["portfolio_ok"] is True
    assert health["market_data_ok"] is False  # no sidecar has published a status
    assert health["strategy_engine_ok"] is True
    assert health["execution_ok"] is False
    assert {c["name"] for c in health["components"]} == {
        "market_data",
        "portfolio",
        "strategy_engine",
        "execution",
    }
    assert health["schema_revisions"]


def test_summary_when_synced_then_equity_is_the_sandbox_account_in_decimal_strings(
    api: Api,
) -> None:
    summary = api.data("/api/portfolio/summary")
    for key in ("equity_usd", "cash_usd", "realized_pnl_usd", "unrealized_pnl_usd"):
        assert _is_decimal_text(summary[key]), key
    # The sandbox account's own USD plus the deposit, less what the XBT cost.
    assert Decimal(0) < Decimal(summary["cash_usd"]) < Decimal(summary["equity_usd"])
    assert summary["drift_flag"] is False and summary["complete"] is True


def test_positions_when_xbt_bought_then_one_manual_position_of_its_size(api: Api) -> None:
    [xbt] = api.data("/api/portfolio/positions")
    assert (xbt["pair"], xbt["base_size"], xbt["strategy_tag"]) == ("XBTUSD", "0.02", "manual")
    assert _is_decimal_text(xbt["avg_entry_price"]) and _is_decimal_text(xbt["value_usd"])


def test_exposure_when_xbt_held_then_by_asset_and_manual_strategy(api: Api) -> None:
    exposure = api.data("/api/portfolio/exposure")
    assert {row["asset"] for row in exposure["by_asset"]} == {"USD", "XBT"}
    assert sum(Decimal(row["pct_of_equity"]) for row in exposure["by_asset"]) == 100
    [manual] = exposure["by_strategy"]
    assert manual["strategy_id"] == "manual"


def test_trades_when_filtered_by_strategy_then_only_its_trades(api: Api) -> None:
    [trade] = api.data("/api/portfolio/trades")
    assert (trade["pair"], trade["side"], trade["base_delta"]) == ("XBTUSD", "buy", "0.02")
    assert api.data("/api/portfolio/trades", params={"strategy_id": "trend_v1"}) == []
    assert api.data("/api/portfolio/trades", params={"since": "2030-01-01T00:00:00Z"}) == []


def test_trades_when_since_has_no_timezone_then_422_naming_it(api: Api) -> None:
    response = api.get("/api/portfolio/trades", params={"since": "2026-03-01T00:00:00"})
    assert response.status_code == 422
    assert "query.since" in response.json()["error"]


def test_risk_status_when_manual_switch_off_then_reasons_empty_and_percentages_strings(
    api: Api,
) -> None:
    status = api.data("/api/risk/status")
    assert status["manual_kill_switch"]["active"] is False
    assert "kill_switch_manual" not in status["kill_switch_reasons"]
    assert _is_decimal_text(status["total_exposure_pct"])
    assert _is_decimal_text(status["daily_drawdown_pct"])


def test_strategies_when_listed_then_both_configured_with_enabled_flags(api: Api) -> None:
    listed = {s["id"]: s for s in api.data("/api/strategies")}
    assert set(listed) == {"trend_v1", "mean_rev_v1"}
    assert (listed["trend_v1"]["enabled"], listed["mean_rev_v1"]["enabled"]) == (True, False)
    assert listed["trend_v1"]["userref"] == 7
    assert listed["trend_v1"]["pnl_summary"] == {"realized_usd": "0", "unrealized_usd": "0"}


def test_strategy_config_when_unknown_then_404(api: Api) -> None:
    response = api.get("/api/strategies/nope/config")
    assert response.status_code == 404
    assert response.json() == {"data": None, "error": "no strategy 'nope' is configured"}


def test_risk_config_when_read_then_file_values_and_nothing_overridden(api: Api) -> None:
    config = api.data("/api/risk/config")
    assert config["max_open_positions"] == 10 and config["deadband_usd"] == "10"
    assert config["overridden"] == []


def test_system_config_when_read_then_secrets_redacted(make_api: ApiFactory) -> None:
    api = make_api(auth={"enabled": True, "token": TOKEN})
    response = api.get("/api/system/config")
    config = response.json()["data"]
    assert config["ui"]["auth"]["token"] == "**********"
    assert config["db"]["url"] == "**********"
    assert TOKEN not in response.text


def test_openapi_when_fetched_then_served_under_api(api: Api) -> None:
    schema = api.get("/api/openapi.json").json()
    assert "/api/portfolio/summary" in schema["paths"]


def test_unknown_path_then_404_in_the_envelope(api: Api) -> None:
    response = api.get("/api/nothing-here")
    assert response.status_code == 404
    assert response.json() == {"data": None, "error": "Not Found"}


def test_base_path_when_set_then_every_route_and_the_schema_live_under_it(
    make_api: ApiFactory,
) -> None:
    api = make_api(base_path="/krakked/", auth={"enabled": True, "token": TOKEN})
    assert api.get("/api/portfolio/summary").status_code == 404
    assert api.data("/krakked/api/portfolio/summary")["drift_flag"] is False
    schema = api.get("/krakked/api/openapi.json").json()
    assert "/krakked/api/risk/status" in schema["paths"]
    # The health check stays open at its own place under the base path.
    assert requests.get(f"{api.url}/krakked/api/system/health", timeout=10).status_code == 200
