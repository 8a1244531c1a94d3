"""The operator panel (Streamlit). It talks only to the control-plane API (see client.py)."""

import streamlit as st

st.set_page_config(page_title="Krakked", layout="wide")
st.title("Krakked")
st.info("The control panel arrives with the control-plane API (contract Phase 6).")
