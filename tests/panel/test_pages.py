"""Each page against a live API: it shows what the API reports and its actions change it."""

import pytest

from krakked_core.control.phrases import CANCEL_ALL as CANCEL_ALL_PHRASE
from streamlit_app.components.context import ENV_API_URL, ENV_TOKEN
from streamlit_app.components.show import usd
from tests.api.conftest import TOKEN, Api, ApiFactory
from tests.api.test_execution import Oms, Order
from tests.panel.conftest import open_page


def _texts(at, kind: str) -> list[str]:
    return [str(e.value) for e in getattr(at, kind)]


def test_risk_when_limit_changed_then_current_vs_new_shown_and_save_applies_it(
    panel: Api,
) -> None:
    before = panel.data("/api/risk/config")["max_open_positions"]
    at = open_page("risk")
    assert any("does not offer an “if all stops hit”" in t for t in _texts(at, "info"))
    at.number_input(key="max_open_positions").set_value(before + 3).run()
    diff = at.dataframe[-1].value
    row = diff[diff["limit"] == "max_open_positions"].iloc[0]
    assert (row["current"], row["new"]) == (str(before), str(before + 3))
    assert panel.data("/api/risk/config")["max_open_positions"] == before  # not before Save
    at.button(key="save_limits").click().run()
    config = panel.data("/api/risk/config")
    assert config["max_open_positions"] == before + 3
    assert "max_open_positions" in config["overridden"]


def test_strategies_when_disabled_one_enabled_then_api_enables_it(panel: Api) -> None:
    at = open_page("strategies")
    states = {s["id"]: s for s in panel.data("/api/strategies")}
    assert states["mean_rev_v1"]["enabled"] is False
    labels = [e.label for e in at.expander]
    assert "trend_v1 (trend_following)" in labels
    assert "mean_rev_v1 (mean_reversion)" in labels
    at.toggle(key="enabled.mean_rev_v1").set_value(True).run()
    states = {s["id"]: s for s in panel.data("/api/strategies")}
    assert states["mean_rev_v1"]["enabled"] is True


def test_strategies_when_parameter_saved_then_api_config_has_it(panel: Api) -> None:
    at = open_page("strategies")
    old = panel.data("/api/strategies/trend_v1/config")["max_positions"]
    at.number_input(key="max_positions.trend_v1").set_value(old + 1)
    at.button(key="save.trend_v1").click().run()
    assert panel.data("/api/strategies/trend_v1/config")["max_positions"] == old + 1


def test_orders_when_api_has_no_oms_then_page_says_why_and_no_fake_orders(panel: Api) -> None:
    response = panel.get("/api/execution/open_orders")
    assert response.status_code == 503
    at = open_page("orders")
    warnings = _texts(at, "warning")
    assert any(response.json()["error"] in w for w in warnings), warnings
    assert not [b for b in at.button if b.label == "Cancel all"]  # no orders, no cancel
    assert len(at.dataframe) == 0
    flatten = next(b for b in at.button if b.label == "Flatten all")
    assert flatten.disabled  # until FLATTEN is typed


def test_orders_when_oms_has_open_order_then_listed_and_cancel_and_cancel_all_reach_it(
    make_api: ApiFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The OMS is not built yet: the API tests' stand-in of its surface behind the real API.
    oms = Oms([Order("o-1", "open")])
    api = make_api(execution=oms, auth={"enabled": True, "token": TOKEN})
    monkeypatch.setenv(ENV_API_URL, api.url)
    monkeypatch.setenv(ENV_TOKEN, TOKEN)
    at = open_page("orders")
    assert list(at.dataframe[0].value["local_id"]) == ["o-1"]
    at.button(key="cancel.o-1").click().run()
    assert oms.asked == ["cancel o-1"]
    at.text_input(key="cancel_all_phrase").input(CANCEL_ALL_PHRASE).run()
    next(b for b in at.button if b.label == "Cancel all").click().run()
    assert oms.asked == ["cancel o-1", "cancel_all"]


def test_decisions_when_no_cycle_ran_then_page_says_so(panel: Api) -> None:
    assert panel.data("/api/decisions") == []
    at = open_page("decisions")
    assert any("No cycle has run yet" in t for t in _texts(at, "info"))
    assert len(at.expander) == 0


def test_trades_when_filtered_then_table_matches_api(panel: Api) -> None:
    trades = panel.data("/api/portfolio/trades")
    assert trades
    at = open_page("trades")
    table = at.dataframe[0].value
    assert sorted(table["pair"]) == sorted(t["pair"] for t in trades)
    total = sum(float(t["realized_pnl_usd"]) for t in trades)
    assert at.metric[0].value == usd(f"{total}")
    at.text_input(key="trades_pair").input("ETHUSD").run()
    assert len(at.dataframe[0].value) == 0


def test_settings_when_mode_switched_with_confirmation_then_api_mode_changes(panel: Api) -> None:
    health = panel.data("/api/system/health")
    at = open_page("settings")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["App version"] == health["version"]
    assert health["mode"] == "paper"
    at.radio(key="mode").set_value("dry_run").run()
    apply = next(b for b in at.button if b.label == "Apply mode")
    assert apply.disabled  # not before the confirmation box is ticked
    at.checkbox(key="mode_confirmed").check().run()
    next(b for b in at.button if b.label == "Apply mode").click().run()
    assert panel.data("/api/system/health")["mode"] == "dry_run"
    components = at.dataframe[0].value
    assert list(components["name"]) == [c["name"] for c in health["components"]]
