"""Dashboard page against a live API: the cards show what the API reports."""

from streamlit_app.components.show import usd
from tests.api.conftest import Api
from tests.panel.conftest import open_page


def test_dashboard_when_api_has_portfolio_then_cards_show_its_equity_and_pnl(panel: Api) -> None:
    summary = panel.data("/api/portfolio/summary")
    at = open_page()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Equity"] == usd(summary["equity_usd"])
    assert metrics["Cash"] == usd(summary["cash_usd"])
    assert metrics["Realized PnL"] == usd(summary["realized_pnl_usd"])
    assert metrics["Unrealized PnL"] == usd(summary["unrealized_pnl_usd"])
    assert float(summary["equity_usd"]) > 0
