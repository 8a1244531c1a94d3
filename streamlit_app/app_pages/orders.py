"""Orders: open orders (cancel one, cancel all), flatten all, execution history with drill-down."""

from functools import partial

import streamlit as st

from krakked_core.control import phrases
from streamlit_app.components.context import Panel, current_panel
from streamlit_app.components.show import act, fetch
from streamlit_app.components.tables import executions_frame, orders_frame

CANCEL_ALL_PHRASE = phrases.CANCEL_ALL
FLATTEN_PHRASE = phrases.FLATTEN


def render(panel: Panel) -> None:
    st.title("Orders & executions")
    every = panel.settings.every(panel.settings.orders_ms)
    open_tab, history_tab, emergency_tab = st.tabs(["Open orders", "Execution history", "Flatten"])
    with open_tab:
        st.fragment(run_every=every)(_open_orders)(panel)
    with history_tab:
        st.fragment(run_every=every)(_history)(panel)
    with emergency_tab:
        _flatten(panel)


def _open_orders(panel: Panel) -> None:
    orders = fetch("Open orders", panel.client.open_orders)
    if orders is None:
        return
    if not orders:
        st.info("No open order.")
        return
    st.dataframe(orders_frame(orders), hide_index=True)
    for order in orders:
        label = f"Cancel {order.side} {order.requested_base_size} {order.pair} ({order.local_id})"
        if st.button(label, key=f"cancel.{order.local_id}") and act(
            "Cancel order", partial(panel.client.cancel_order, order.local_id)
        ):
            st.rerun()
    phrase = st.text_input(
        f'Type "{CANCEL_ALL_PHRASE}" to cancel every open order', key="cancel_all_phrase"
    )
    if st.button("Cancel all", disabled=phrase != CANCEL_ALL_PHRASE) and act(
        "Cancel all", lambda: panel.client.cancel_all(phrase)
    ):
        st.rerun()


def _history(panel: Panel) -> None:
    executions = fetch("Recent executions", lambda: panel.client.recent_executions(limit=50))
    if executions is None:
        return
    st.dataframe(executions_frame(executions), hide_index=True)
    if not executions:
        st.info("No execution yet.")
        return
    chosen = st.selectbox("Orders of plan", [e.plan_id for e in executions])
    for execution in executions:
        if execution.plan_id == chosen:
            st.dataframe(orders_frame(execution.orders), hide_index=True)


def _flatten(panel: Panel) -> None:
    st.warning("Flatten all closes every position now, at market.")
    phrase = st.text_input(f'Type "{FLATTEN_PHRASE}" to flatten every position')
    if st.button("Flatten all", type="primary", disabled=phrase != FLATTEN_PHRASE) and act(
        "Flatten all", lambda: panel.client.flatten_all(phrase)
    ):
        st.rerun()


render(current_panel())
