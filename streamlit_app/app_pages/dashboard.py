"""Dashboard: equity, cash and PnL cards, equity curve, exposure charts, last activity."""

import pandas as pd
import streamlit as st

from streamlit_app.components.context import Panel, current_panel
from streamlit_app.components.show import decimal, fetch, usd
from streamlit_app.components.tables import executions_frame, trades_frame


def render(panel: Panel) -> None:
    st.title("Dashboard")
    every = panel.settings.every(panel.settings.dashboard_ms)
    st.fragment(run_every=every)(_live)(panel)


def _live(panel: Panel) -> None:
    client = panel.client
    summary = fetch("Portfolio summary", client.summary)
    if summary is not None:
        cards = st.columns(4)
        cards[0].metric("Equity", usd(summary.equity_usd))
        cards[1].metric("Cash", usd(summary.cash_usd))
        cards[2].metric("Realized PnL", usd(summary.realized_pnl_usd))
        cards[3].metric("Unrealized PnL", usd(summary.unrealized_pnl_usd))
        if not summary.complete:
            st.warning(f"Not every asset could be valued: {', '.join(summary.unvalued_assets)}")
        st.caption(f"Last snapshot: {summary.last_snapshot_ts or 'none yet'}")
    history = fetch("Equity history", client.equity_history)
    st.subheader("Equity curve")
    if history:
        curve = pd.DataFrame(
            {
                "time": [pd.Timestamp(s.timestamp) for s in history],
                "equity_usd": [float(decimal(s.equity_usd) or 0) for s in history],
            }
        ).set_index("time")
        st.line_chart(curve)
    elif history is not None:
        st.info("No complete snapshot yet: the curve starts with the first one.")
    _exposure(panel)
    st.subheader("Last executions")
    executions = fetch("Recent executions", lambda: client.recent_executions(limit=10))
    if executions is not None:
        st.dataframe(executions_frame(executions), hide_index=True)
    st.subheader("Last trades")
    trades = fetch("Trades", lambda: client.trades(limit=10))
    if trades is not None:
        st.dataframe(trades_frame(trades), hide_index=True)


def _exposure(panel: Panel) -> None:
    exposure = fetch("Exposure", panel.client.exposure)
    if exposure is None:
        return
    by_asset, by_strategy = st.columns(2)
    by_asset.subheader("Exposure by asset")
    by_asset.bar_chart(
        pd.DataFrame(
            {
                "asset": [e.asset for e in exposure.by_asset],
                "value_usd": [float(decimal(e.value_usd) or 0) for e in exposure.by_asset],
            }
        ).set_index("asset")
    )
    by_strategy.subheader("Exposure by strategy")
    by_strategy.bar_chart(
        pd.DataFrame(
            {
                "strategy": [e.strategy_id for e in exposure.by_strategy],
                "value_usd": [float(decimal(e.value_usd) or 0) for e in exposure.by_strategy],
            }
        ).set_index("strategy")
    )


render(current_panel())
