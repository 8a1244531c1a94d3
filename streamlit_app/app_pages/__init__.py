"""One module per page of the panel (``st.navigation`` in ``app.py`` lists them)."""
