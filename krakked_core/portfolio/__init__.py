"""Portfolio & PnL: ledger-exact accounting (WAC), reconciliation, cash flows, snapshots.

``PortfolioService`` (``portfolio.service``) is the surface; the rest are its parts.
"""
