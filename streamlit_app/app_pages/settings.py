"""Settings: execution mode (with confirmation), refresh intervals, versions, health."""

import pandas as pd
import streamlit as st

from krakked_core.control import phrases
from streamlit_app.components.context import Panel, current_panel
from streamlit_app.components.show import act, fetch

LIVE_PHRASE = phrases.GO_LIVE
MODES = ("paper", "dry_run", "live")


def render(panel: Panel) -> None:
    st.title("Settings")
    health = fetch("Health", panel.client.health)
    if health is not None:
        _mode(panel, health.mode)
        st.subheader("System")
        cols = st.columns(3)
        cols[0].metric("App version", health.version)
        cols[1].metric("Schema", ", ".join(health.schema_revisions) or "none")
        cols[2].metric("Started", health.started_at)
        st.subheader("Components")
        st.dataframe(pd.DataFrame([c.model_dump() for c in health.components]), hide_index=True)
    st.subheader("Refresh intervals")
    s = panel.settings
    st.dataframe(
        pd.DataFrame(
            [
                {"view": "dashboard and kill switch", "every_ms": s.dashboard_ms},
                {"view": "orders", "every_ms": s.orders_ms},
                {"view": "strategies", "every_ms": s.strategies_ms},
            ]
        ),
        hide_index=True,
    )
    st.caption(f"From ui.refresh_intervals · API at {s.api_url}")


def _mode(panel: Panel, current: str) -> None:
    st.subheader("Execution mode")
    st.write(f"Now: **{current}**")
    index = MODES.index(current) if current in MODES else 0
    mode = st.radio("Switch to", MODES, index=index, horizontal=True, key="mode")
    if mode == current:
        return
    phrase = ""
    if mode == "live":
        st.error("Live mode sends real orders with real money.")
        phrase = st.text_input(f'Type "{LIVE_PHRASE}" to switch to live', key="live_phrase")
    confirmed = st.checkbox(f"Yes, switch from {current} to {mode}", key="mode_confirmed")
    ready = confirmed and (mode != "live" or phrase == LIVE_PHRASE)
    if st.button("Apply mode", type="primary", disabled=not ready) and act(
        "Execution mode", lambda: panel.client.set_execution_mode(mode, confirm=phrase)
    ):
        st.rerun()


render(current_panel())
