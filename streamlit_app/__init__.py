"""The operator panel (Streamlit). It talks only to the control-plane API (contract Phase 6),
which does not exist yet; until then operators use the `krakked` CLI and the Dagster UI.
"""
