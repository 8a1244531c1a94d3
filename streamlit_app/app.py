"""The Krakked panel: `krakked panel` runs this with Streamlit.

It talks only to the control plane API (``client.py``), at the URL and with the token that
`krakked panel` puts in its environment. ``st.navigation`` lists the pages (``app_pages/``, not
``pages/``: that folder name would also turn on Streamlit's old file-based navigation).
"""

import os

import streamlit as st

from streamlit_app.components.context import PanelSettings, open_panel
from streamlit_app.components.kill_switch import kill_switch_sidebar

PAGES = (
    ("app_pages/dashboard.py", "Dashboard", "📊"),
    ("app_pages/risk.py", "Risk", "🛡️"),
    ("app_pages/strategies.py", "Strategies", "🧭"),
    ("app_pages/orders.py", "Orders", "📋"),
    ("app_pages/decisions.py", "Decisions", "🧠"),
    ("app_pages/trades.py", "Trades & PnL", "💱"),
    ("app_pages/settings.py", "Settings", "⚙️"),
)

st.set_page_config(page_title="Krakked", page_icon="🐙", layout="wide")
panel = open_panel(PanelSettings.from_env(os.environ))
navigation = st.navigation(
    [
        st.Page(path, title=title, icon=icon, default=index == 0)
        for index, (path, title, icon) in enumerate(PAGES)
    ]
)
kill_switch_sidebar(panel)
navigation.run()
