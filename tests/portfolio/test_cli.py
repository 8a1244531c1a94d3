"""`krakked portfolio …` against the sandbox exchange: the control plane's JSON shapes."""

import json
from collections.abc import Iterator
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from krakked_core.cli import app
from krakked_core.paths import AppPaths
from krakked_core.sim import SandboxExchange, SimSettings

SUMMARY_KEYS = {
    "equity_usd",
    "cash_usd",
    "realized_pnl_usd",
    "unrealized_pnl_usd",
    "drift_flag",
    "last_snapshot_ts",
    "complete",
    "unvalued_assets",
}
POSITION_KEYS = {
    "pair",
    "base_asset",
    "base_size",
    "avg_entry_price",
    "current_price",
    "value_usd",
    "unrealized_pnl_usd",
    "strategy_tag",
}


@pytest.fixture
def sim(monkeypatch: pytest.MonkeyPatch, app_paths: AppPaths) -> Iterator[SandboxExchange]:
    with SandboxExchange(SimSettings(seed=2, history_days=1, tier="none")) as exchange:
        monkeypatch.setenv("KRAKKED_EXCHANGE__REST_URL", exchange.rest_url)
        monkeypatch.setenv("KRAKKED_EXCHANGE__PUBLIC_RATE_PER_SECOND", "100")
        monkeypatch.setenv("KRAKKED_EXCHANGE__TIER", "pro")
        monkeypatch.setenv("KRAKKED_API_KEY", exchange.api_key)
        monkeypatch.setenv("KRAKKED_API_SECRET", exchange.api_secret)
        yield exchange


def _run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def test_portfolio_commands_when_json_then_control_plane_shapes(sim: SandboxExchange) -> None:
    sim.exchange.place_manual_order(
        pair="XBTUSD", side="buy", ordertype="market", volume=Decimal("0.01")
    )
    _run("db", "upgrade")

    synced = json.loads(_run("portfolio", "sync", "--json"))
    summary = json.loads(_run("portfolio", "summary", "--json"))
    positions = json.loads(_run("portfolio", "positions", "--json"))
    trades = json.loads(_run("portfolio", "trades", "--json"))
    flows = json.loads(_run("portfolio", "cash-flows", "--json"))

    assert synced["new_trades"] == 1 and synced["drift_detected"] is False
    assert set(summary) == SUMMARY_KEYS
    assert summary["drift_flag"] is False and summary["last_snapshot_ts"] is None
    assert summary["complete"] is True and summary["unvalued_assets"] == []
    for key in ("equity_usd", "cash_usd", "realized_pnl_usd", "unrealized_pnl_usd"):
        assert isinstance(summary[key], str)
        Decimal(summary[key])
    assert Decimal(summary["realized_pnl_usd"]) < 0  # the taker fee
    assert [set(p) for p in positions] == [POSITION_KEYS]
    xbt = positions[0]
    assert (xbt["pair"], xbt["base_asset"], xbt["base_size"]) == ("XBTUSD", "XBT", "0.01")
    assert xbt["strategy_tag"] == "manual"
    assert Decimal(xbt["value_usd"]) == Decimal(xbt["current_price"]) * Decimal("0.01")
    assert [t["strategy_tag"] for t in trades] == ["manual"]
    assert [(f["type"], f["asset"], f["amount"]) for f in flows] == [("deposit", "USD", "100000")]


def test_portfolio_sync_without_credentials_then_clear_error(
    monkeypatch: pytest.MonkeyPatch, app_paths: AppPaths
) -> None:
    _run("db", "upgrade")
    result = CliRunner().invoke(app, ["portfolio", "sync"])

    assert result.exit_code == 1
    assert "NoCredentialsError" in result.output
