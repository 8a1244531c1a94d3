"""The API's routers, one module per area of contract Phase 6 §4."""
