"""The portfolio asset, its drift check and schedule, materialized against the sandbox."""

from collections.abc import Iterator
from decimal import Decimal

import dagster as dg
import pytest
import yaml

from krakked_core.db import make_engine, upgrade
from krakked_core.paths import AppPaths
from krakked_core.sim import SandboxExchange, SimSettings
from krakked_pipeline.assets.portfolio import (
    portfolio_reconciled,
    portfolio_snapshot,
    portfolio_snapshot_complete,
)
from krakked_pipeline.definitions import defs
from krakked_pipeline.resources import KrakkedSettings, build_resources


@pytest.fixture
def sim(monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxExchange]:
    with SandboxExchange(SimSettings(seed=3, history_days=1, tier="none")) as exchange:
        monkeypatch.setenv("KRAKKED_API_KEY", exchange.api_key)
        monkeypatch.setenv("KRAKKED_API_SECRET", exchange.api_secret)
        yield exchange


def _write_config(app_paths: AppPaths, sim: SandboxExchange, **sections: object) -> None:
    exchange = {"rest_url": sim.rest_url, "public_rate_per_second": 100, "tier": "pro"}
    app_paths.config_file.write_text(yaml.safe_dump({"exchange": exchange, **sections}))


@pytest.fixture
def resources(app_paths: AppPaths, sim: SandboxExchange) -> dict[str, object]:
    _write_config(app_paths, sim)
    engine = make_engine(f"sqlite:///{app_paths.default_db_file}")
    upgrade(engine)
    engine.dispose()
    settings = KrakkedSettings(
        config_dir=str(app_paths.config_dir), data_dir=str(app_paths.data_dir)
    )
    return {"portfolio": build_resources(settings)["portfolio"]}


def _materialize(resources: dict[str, object]) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [portfolio_snapshot, portfolio_reconciled, portfolio_snapshot_complete],
        resources=resources,
        raise_on_error=False,
    )


def _checks(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetCheckEvaluation]:
    return {c.check_name: c for c in result.get_asset_check_evaluations()}


def test_snapshot_asset_when_materialized_then_one_snapshot_and_metadata(
    resources: dict[str, object], sim: SandboxExchange
) -> None:
    sim.exchange.place_manual_order(
        pair="XBTUSD", side="buy", ordertype="market", volume=Decimal("0.01")
    )

    first = _materialize(resources)
    second = _materialize(resources)

    assert first.success and second.success
    meta = first.asset_materializations_for_node("portfolio_snapshot")[0].metadata
    assert meta["new_trades"].value == 1 and meta["drift_flag"].value is False
    assert meta["complete"].value is True and meta["unvalued_assets"].value == []
    assert Decimal(str(meta["equity_usd"].value)) > Decimal(99000)
    assert (
        second.asset_materializations_for_node("portfolio_snapshot")[0]
        .metadata["snapshot_id"]
        .value
        == meta["snapshot_id"].value + 1
    )
    checks = _checks(first)
    assert {name: c.passed for name, c in checks.items()} == {
        "portfolio_reconciled": True,
        "portfolio_snapshot_complete": True,
    }


def test_drift_when_funds_moved_silently_then_check_fails(
    resources: dict[str, object], sim: SandboxExchange
) -> None:
    sim.exchange.adjust_balance_silently("USD", Decimal("-50"))

    result = _materialize(resources)

    check = _checks(result)["portfolio_reconciled"]
    assert check.passed is False
    assert check.metadata["drift_assets"].value == ["USD"]


def test_snapshot_when_a_holding_has_no_price_then_partial_and_check_names_it(
    resources: dict[str, object], app_paths: AppPaths, sim: SandboxExchange
) -> None:
    sim.exchange.place_manual_order(
        pair="XBTUSD", side="buy", ordertype="market", volume=Decimal("0.01")
    )
    # XBT priced through a pair the exchange does not list: no price, as when it is stale.
    _write_config(app_paths, sim, portfolio={"valuation_pairs": {"XBT": "XBTNOPE"}})

    result = _materialize(resources)

    meta = result.asset_materializations_for_node("portfolio_snapshot")[0].metadata
    assert meta["complete"].value is False and meta["unvalued_assets"].value == ["XBT"]
    check = _checks(result)["portfolio_snapshot_complete"]
    assert check.passed is False and check.severity == dg.AssetCheckSeverity.ERROR
    assert "partial" in (check.description or "") and "XBT (" in (check.description or "")
    assert check.metadata["unvalued_assets"].value == ["XBT"]
    assert check.metadata["snapshot_id"].value == meta["snapshot_id"].value


def test_definitions_when_loaded_then_portfolio_schedule_every_five_minutes() -> None:
    schedule = defs.resolve_schedule_def("portfolio_sync_schedule")

    assert schedule.cron_schedule == "*/5 * * * *"
    assert defs.resolve_job_def("portfolio_sync_job") is not None


def test_check_when_never_synced_then_fails_and_says_why(
    resources: dict[str, object], sim: SandboxExchange
) -> None:
    result = portfolio_reconciled(portfolio=resources["portfolio"])

    assert result.passed is False
    assert "never synced" in (result.description or "")
    assert result.metadata["never_synced"].value is True
