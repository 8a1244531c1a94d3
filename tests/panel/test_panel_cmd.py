"""`krakked panel`: the token goes to the panel through its environment only."""

from pathlib import Path

from krakked_core.cli.panel_cmd import api_url_of, panel_command, panel_environment
from krakked_core.config import UiConfig
from streamlit_app.components.context import PanelSettings

SECRET = "s3cret-token-value"


def test_panel_env_when_auth_on_then_token_in_env_and_never_in_command() -> None:
    ui = UiConfig.model_validate(
        {"auth": {"enabled": True, "token": SECRET}, "refresh_intervals": {"orders_ms": 750}}
    )
    env = panel_environment({"PATH": "/bin"}, ui, "http://127.0.0.1:9000")
    command = panel_command(Path("/x/app.py"), 8600)
    assert not any(SECRET in part for part in command)
    assert "127.0.0.1" in command and "8600" in command
    settings = PanelSettings.from_env(env)  # what the panel reads back
    assert (settings.api_url, settings.token, settings.orders_ms) == (
        "http://127.0.0.1:9000",
        SECRET,
        750,
    )
    assert (settings.dashboard_ms, settings.strategies_ms) == (5000, 10000)


def test_panel_env_when_auth_off_then_no_token_even_if_inherited() -> None:
    env = panel_environment({"KRAKKED_PANEL_TOKEN": "old"}, UiConfig(), "http://h")
    assert "KRAKKED_PANEL_TOKEN" not in env


def test_api_url_when_ui_binds_any_address_or_base_path_then_loopback_url() -> None:
    assert api_url_of(UiConfig()) == "http://127.0.0.1:8080"
    ui = UiConfig.model_validate({"host": "0.0.0.0", "port": 9100, "base_path": "/krakked/"})
    assert api_url_of(ui) == "http://127.0.0.1:9100/krakked"
    assert api_url_of(UiConfig.model_validate({"host": "::1"})) == "http://[::1]:8080"
