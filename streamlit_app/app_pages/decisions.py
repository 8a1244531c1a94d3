"""Decisions: each cycle's intents and actions, blocked reasons in plain words."""

import pandas as pd
import streamlit as st

from krakked_core.api.schemas import DecisionOut
from streamlit_app.components.context import Panel, current_panel
from streamlit_app.components.reasons import plain
from streamlit_app.components.show import fetch


def render(panel: Panel) -> None:
    st.title("Decisions")
    limit = st.number_input("Cycles", value=20, min_value=1, max_value=1000)
    decisions = fetch("Decisions", lambda: panel.client.decisions(limit=int(limit)))
    if decisions is None:
        return
    if not decisions:
        st.info("No cycle has run yet: decisions appear here after the first one.")
    for decision in decisions:
        _decision(decision)


def _decision(d: DecisionOut) -> None:
    title = (
        f"{d.time} · {d.timeframe} · {d.strategy_intents_count} intents · "
        f"{d.actions_count} actions · {d.blocked_actions_count} blocked"
    )
    with st.expander(title):
        if d.kill_switch_active:
            st.error("Kill switch was on: " + "; ".join(plain(r) for r in d.kill_switch_reasons))
        if d.notes:
            st.caption(d.notes)
        st.markdown("**Intents**")
        st.dataframe(pd.DataFrame([i.model_dump() for i in d.intents]), hide_index=True)
        st.markdown("**Actions**")
        for a in d.actions:
            if a.blocked:
                why = "; ".join(plain(r) for r in a.blocked_reasons)
                st.write(f"🚫 {a.strategy_id} {a.pair} {a.action_type}: blocked because {why}")
            else:
                clamped = " (clamped)" if a.clamped else ""
                st.write(
                    f"✅ {a.strategy_id} {a.pair} {a.action_type} to {a.target_base_size}"
                    f"{clamped}: {a.reason}"
                )


render(current_panel())
