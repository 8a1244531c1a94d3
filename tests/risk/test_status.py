"""RiskStatus (contract Phase 4 §7.2) and the engine's config defaults."""

from decimal import Decimal

from krakked_core.config_loading import parse_config
from krakked_core.risk.engine import RiskEngine
from tests.fakes.risk import context, engine, intent, position


def test_status_exposures_count_every_position_by_asset_and_owner() -> None:
    held = (
        position("XBTUSD", size="1", price="20000", owner="trend"),
        position("ETHUSD", size="5", price="2000", owner="manual"),
        position("ETHUSD", size="5", price="2000", owner="mean"),
    )
    status = engine().status(context(equity="100000", positions=held))

    assert status.total_exposure_pct == Decimal(40)
    assert status.per_asset_exposure_pct == {"ETH": Decimal(20), "XBT": Decimal(20)}
    assert status.per_strategy_exposure_pct == {
        "manual": Decimal(10),
        "mean": Decimal(10),
        "trend": Decimal(20),
    }
    assert not status.kill_switch_active and status.daily_drawdown_pct == 0


def test_status_with_no_equity_reports_zero_exposure() -> None:
    status = engine().status(context(equity="0", positions=(position(),)))
    assert status.total_exposure_pct == 0


def test_liquidity_floor_defaults_to_the_universe_minimum() -> None:
    config = parse_config({"universe": {"min_24h_volume_usd": 5_000_000}}, origin="test")
    ctx = context(liquidity_24h_usd={"XBTUSD": Decimal(1_000_000)})
    [action] = RiskEngine.from_config(config).evaluate([intent()], ctx)
    assert action.blocked_reasons == ("min_liquidity_24h_usd",)

    config = parse_config(
        {"universe": {"min_24h_volume_usd": 5_000_000}, "risk": {"min_liquidity_24h_usd": 0}},
        origin="test",
    )
    [action] = RiskEngine.from_config(config).evaluate([intent()], ctx)
    assert "min_liquidity_24h_usd" not in action.blocked_reasons
