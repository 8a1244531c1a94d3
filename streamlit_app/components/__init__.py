"""Pieces every page of the panel uses: its settings and client, the kill-switch sidebar,
showing API failures, formatting money."""
