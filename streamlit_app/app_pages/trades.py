"""Trades & PnL: trades filtered by date, pair and strategy; realized and unrealized PnL."""

from datetime import UTC, date, datetime, time, timedelta

import streamlit as st

from streamlit_app.components.context import Panel, current_panel
from streamlit_app.components.show import decimal, fetch, usd
from streamlit_app.components.tables import positions_frame, trades_frame

ALL = "(all)"


def render(panel: Panel) -> None:
    st.title("Trades & PnL")
    client = panel.client
    strategies = fetch("Strategies", client.strategies) or []
    cols = st.columns(4)
    since = cols[0].date_input("From", value=None, key="trades_from")
    until = cols[1].date_input("To", value=None, key="trades_to")
    pair = cols[2].text_input("Pair", value="", key="trades_pair").strip().upper()
    strategy = cols[3].selectbox("Strategy", [ALL, *[s.id for s in strategies], "manual"])
    view = st.radio("PnL", ["Realized (trades)", "Unrealized (open positions)"], horizontal=True)
    if view.startswith("Unrealized"):
        positions = fetch("Positions", client.positions)
        if positions is not None:
            total = sum((decimal(p.unrealized_pnl_usd) or 0 for p in positions), start=0)
            st.metric("Unrealized PnL", usd(str(total)))
            st.dataframe(positions_frame(positions), hide_index=True)
        return
    trades = fetch(
        "Trades",
        lambda: client.trades(
            pair=pair or None,
            strategy_id=None if strategy == ALL else strategy,
            since=_start_of(since),
            limit=1000,
        ),
    )
    if trades is None:
        return
    if isinstance(until, date):
        # The API filters from a time on; the end of the range is applied here.
        end = datetime.combine(until + timedelta(days=1), time(), tzinfo=UTC)
        trades = [t for t in trades if datetime.fromisoformat(t.time) < end]
    total = sum((decimal(t.realized_pnl_usd) or 0 for t in trades), start=0)
    st.metric("Realized PnL of these trades", usd(str(total)))
    st.dataframe(trades_frame(trades), hide_index=True)


def _start_of(day: object) -> str | None:
    if not isinstance(day, date):
        return None
    return datetime.combine(day, time(), tzinfo=UTC).isoformat()


render(current_panel())
