"""Risk: every limit editable, current vs new shown before Save; status and exposure."""

from typing import Any

import pandas as pd
import streamlit as st

from krakked_core.api.schemas import RiskConfigOut
from streamlit_app.components.context import Panel, current_panel
from streamlit_app.components.show import act, fetch, pct

# The limits a number input edits (``max_per_strategy_pct`` is edited per strategy below).
FLOAT_LIMITS = (
    ("max_risk_per_trade_pct", "Max risk per trade (% of equity)"),
    ("max_portfolio_risk_pct", "Max portfolio risk (% of equity)"),
    ("max_per_asset_pct", "Max per asset (% of equity)"),
    ("max_daily_drawdown_pct", "Max daily drawdown (%)"),
)
INT_LIMITS = (
    ("max_open_positions", "Max open positions"),
    ("volatility_lookback_bars", "Volatility lookback (bars)"),
)
SWITCHES = (
    ("include_manual_positions", "Count manual positions against the limits"),
    ("kill_switch_on_drift", "Kill switch on drift"),
)


def render(panel: Panel) -> None:
    st.title("Risk")
    client = panel.client
    status = fetch("Risk status", client.risk_status)
    if status is not None:
        cols = st.columns(3)
        cols[0].metric("Total exposure", pct(status.total_exposure_pct))
        cols[1].metric("Daily drawdown", pct(status.daily_drawdown_pct))
        cols[2].metric("Drift", "YES" if status.drift_flag else "no")
        per_asset = {k: v for k, v in status.per_asset_exposure_pct.items()}
        st.dataframe(
            pd.DataFrame({"asset": list(per_asset), "pct_of_equity": list(per_asset.values())}),
            hide_index=True,
        )
    st.subheader("If all stops hit")
    st.info(
        "The API does not offer an “if all stops hit” loss estimate yet (no such route in its "
        "OpenAPI schema), so the panel shows none rather than guess."
    )
    config = fetch("Risk limits", client.risk_config)
    if config is not None:
        _editor(panel, config)


def _editor(panel: Panel, config: RiskConfigOut) -> None:
    st.subheader("Limits")
    current = config.model_dump()
    new: dict[str, Any] = {}
    for key, label in FLOAT_LIMITS:
        new[key] = st.number_input(label, value=float(current[key]), min_value=0.0, key=key)
    for key, label in INT_LIMITS:
        new[key] = int(st.number_input(label, value=int(current[key]), min_value=0, key=key))
    for key, label in SWITCHES:
        new[key] = st.toggle(label, value=bool(current[key]), key=key)
    per_strategy = dict(config.max_per_strategy_pct)
    for strategy_id, value in sorted(per_strategy.items()):
        per_strategy[strategy_id] = st.number_input(
            f"Max per strategy {strategy_id} (% of equity)",
            value=float(value),
            min_value=0.0,
            key=f"max_per_strategy_pct.{strategy_id}",
        )
    if per_strategy != config.max_per_strategy_pct:
        new["max_per_strategy_pct"] = per_strategy
    changes = {k: v for k, v in new.items() if v != current[k]}
    if config.overridden:
        st.caption(f"Overridden at runtime (not the config file): {', '.join(config.overridden)}")
    if not changes:
        st.caption("No change yet.")
        return
    st.markdown("**Current vs new**")
    st.dataframe(
        pd.DataFrame(
            [{"limit": k, "current": str(current[k]), "new": str(v)} for k, v in changes.items()]
        ),
        hide_index=True,
    )
    if st.button("Save limits", type="primary", key="save_limits") and act(
        "Risk limits", lambda: panel.client.change_risk_config(changes)
    ):
        st.rerun()


render(current_panel())
