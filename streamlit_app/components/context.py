"""The panel's settings (from the environment `krakked panel` sets) and its API client.

The token reaches the panel only through ``KRAKKED_PANEL_TOKEN`` in its environment, never on
a command line. One client per browser session, kept in ``st.session_state``.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

import streamlit as st

from streamlit_app.client import ApiClient

ENV_API_URL = "KRAKKED_PANEL_API_URL"
ENV_TOKEN = "KRAKKED_PANEL_TOKEN"  # noqa: S105 - the variable's name, not a token
ENV_DASHBOARD_MS = "KRAKKED_PANEL_DASHBOARD_MS"
ENV_ORDERS_MS = "KRAKKED_PANEL_ORDERS_MS"
ENV_STRATEGIES_MS = "KRAKKED_PANEL_STRATEGIES_MS"

DEFAULT_API_URL = "http://127.0.0.1:8080"


@dataclass(frozen=True)
class PanelSettings:
    api_url: str
    token: str
    dashboard_ms: int = 5000
    orders_ms: int = 5000
    strategies_ms: int = 10000

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> "PanelSettings":
        return cls(
            api_url=env.get(ENV_API_URL, DEFAULT_API_URL),
            token=env.get(ENV_TOKEN, ""),
            dashboard_ms=int(env.get(ENV_DASHBOARD_MS, "5000")),
            orders_ms=int(env.get(ENV_ORDERS_MS, "5000")),
            strategies_ms=int(env.get(ENV_STRATEGIES_MS, "10000")),
        )

    def every(self, ms: int) -> timedelta:
        return timedelta(milliseconds=ms)


@dataclass(frozen=True)
class Panel:
    """What a page needs: the settings and the client."""

    settings: PanelSettings
    client: ApiClient


_KEY = "krakked_panel"


def open_panel(settings: PanelSettings) -> Panel:
    """This session's panel (made on its first run with ``settings``)."""
    panel = st.session_state.get(_KEY)
    if not isinstance(panel, Panel) or panel.settings != settings:
        panel = Panel(settings, ApiClient(settings.api_url, settings.token))
        st.session_state[_KEY] = panel
    return panel


def current_panel() -> Panel:
    """The panel ``app.py`` opened for this session (pages call this)."""
    panel = st.session_state.get(_KEY)
    if not isinstance(panel, Panel):
        st.error("open the panel through its main page (streamlit_app/app.py)")
        st.stop()
    return panel
