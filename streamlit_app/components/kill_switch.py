"""The kill switch in the sidebar of every page, with the risk banner (red / amber / green).

Activating takes one click and no confirmation (stopping must be easy); clearing needs the
phrase "DISABLE KILL SWITCH" typed (the API checks it too). Red: the kill switch is on (manual,
drawdown or drift, each said); amber: drift, or the daily drawdown past half its limit; green:
neither.
"""

from decimal import Decimal
from typing import Literal

import streamlit as st

from krakked_core.api.schemas import RiskConfigOut, RiskStatusOut
from krakked_core.control import phrases
from streamlit_app.components.context import Panel
from streamlit_app.components.reasons import plain
from streamlit_app.components.show import act, decimal, fetch, pct

CLEAR_PHRASE = phrases.DISABLE_KILL_SWITCH
ACTIVATE_LABEL = "Activate kill switch"
CLEAR_LABEL = "Clear kill switch"

Level = Literal["red", "amber", "green"]


def level_of(status: RiskStatusOut, config: RiskConfigOut | None) -> Level:
    if status.kill_switch_active:
        return "red"
    drawdown = decimal(status.daily_drawdown_pct) or Decimal(0)
    limit = Decimal(str(config.max_daily_drawdown_pct)) if config else None
    if status.drift_flag or (limit is not None and limit > 0 and drawdown >= limit / 2):
        return "amber"
    return "green"


def kill_switch_sidebar(panel: Panel) -> None:
    with st.sidebar:
        st.header("Kill switch")
        st.fragment(run_every=panel.settings.every(panel.settings.dashboard_ms))(_body)(panel)


def _body(panel: Panel) -> None:
    client = panel.client
    status = fetch("Risk status", client.risk_status)
    if status is None:
        return
    config = fetch("Risk limits", client.risk_config)
    _banner(status, config)
    manual = status.manual_kill_switch
    if not manual.active:
        clicked = st.button(ACTIVATE_LABEL, type="primary", key="kill_switch_on", width="stretch")
        if clicked and act("Kill switch", lambda: client.set_kill_switch(True, reason="panel")):
            st.rerun()
        return
    st.caption(f"set by {manual.source or 'an operator'} at {manual.changed_at or 'unknown'}")
    phrase = st.text_input(f'Type "{CLEAR_PHRASE}" to clear', key="kill_switch_phrase")
    if st.button(CLEAR_LABEL, key="kill_switch_off", disabled=phrase != CLEAR_PHRASE):
        done = act("Kill switch", lambda: client.set_kill_switch(False, confirm=phrase))
        if done:
            st.rerun()


def _banner(status: RiskStatusOut, config: RiskConfigOut | None) -> None:
    level = level_of(status, config)
    limit = f" of {config.max_daily_drawdown_pct}% allowed" if config else ""
    facts = (
        f"Daily drawdown {pct(status.daily_drawdown_pct)}{limit} · "
        f"drift {'YES' if status.drift_flag else 'no'}"
    )
    if level == "red":
        why = "; ".join(plain(code) for code in status.kill_switch_reasons)
        st.error(f"KILL SWITCH ON: {why}. New risk is blocked.\n\n{facts}", icon="🛑")
    elif level == "amber":
        st.warning(f"Caution: trading, but close to a limit.\n\n{facts}", icon="⚠️")
    else:
        st.success(f"Trading normally.\n\n{facts}", icon="✅")
