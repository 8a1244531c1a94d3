"""The kill switch in the sidebar: one click on, the typed phrase off, the banner says why."""

import pytest

from streamlit_app.components.kill_switch import CLEAR_PHRASE
from tests.api.conftest import Api
from tests.panel.conftest import open_page


@pytest.mark.parametrize(
    "page", [None, "risk", "strategies", "orders", "decisions", "trades", "settings"]
)
def test_sidebar_when_any_page_then_banner_is_green_and_switch_can_be_activated(
    panel: Api, page: str | None
) -> None:
    at = open_page(page)
    assert next(s.value for s in at.sidebar.success).startswith("Trading normally")
    assert at.sidebar.button(key="kill_switch_on").label == "Activate kill switch"


def test_kill_switch_when_clicked_then_api_switch_is_on_and_banner_red(panel: Api) -> None:
    at = open_page()
    at.sidebar.button(key="kill_switch_on").click().run()
    assert panel.data("/api/risk/kill_switch")["active"] is True
    banner = at.sidebar.error[0].value
    assert banner.startswith("KILL SWITCH ON: kill switch: set by the operator")
    assert "Daily drawdown" in banner


def test_kill_switch_when_phrase_typed_then_cleared_and_wrong_phrase_cannot_clear(
    panel: Api,
) -> None:
    panel.send("POST", "/api/risk/kill_switch", {"active": True, "reason": "test"})
    at = open_page()
    at.sidebar.text_input(key="kill_switch_phrase").input("disable").run()
    assert at.sidebar.button(key="kill_switch_off").disabled
    assert panel.data("/api/risk/kill_switch")["active"] is True
    at.sidebar.text_input(key="kill_switch_phrase").input(CLEAR_PHRASE).run()
    at.sidebar.button(key="kill_switch_off").click().run()
    assert panel.data("/api/risk/kill_switch")["active"] is False
    assert at.sidebar.success[0].value.startswith("Trading normally")
