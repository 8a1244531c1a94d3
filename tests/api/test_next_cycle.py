"""What the operator sets through the API is what the next decision cycle obeys: the kill
switch blocks its opening actions, a risk override is in force, and the decisions route shows
the plan with its blocked reasons. The cycle is the real one, on an engine built as each
Dagster run builds it (``build_engine``)."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from krakked_core.api import create_app
from krakked_core.config import UiConfig
from krakked_core.config_overlay import OverlayStore
from krakked_core.control import ControlPlane
from krakked_core.control.audit import AuditLog
from krakked_core.control.health import HealthProbe
from krakked_core.control.settings import RuntimeSettings
from krakked_core.model.decisions import ExecutionPlan
from krakked_core.strategy.cycle import build_engine
from tests.api.conftest import Api
from tests.api.served import served
from tests.decisions.world import CLOSE, World, rising_bars
from tests.fakes.pairs import usd_pair


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> World:
    bars = {"XBTUSD": rising_bars(30, last_close=129)}
    return World(engine, tmp_path).with_market([usd_pair("XBT")], bars)


def plane_on(world: World) -> ControlPlane:
    """The facade on the world's services (the composition root's wiring, its venue faked)."""
    engine = world.engine()
    return ControlPlane(
        settings=RuntimeSettings(world.config, OverlayStore(world.db, world.clock), engine),
        engine=engine,
        portfolio=world.portfolio,
        control=world.control,
        decisions=world.decisions,
        audit=AuditLog(world.db, world.clock),
        health=HealthProbe(
            data_status=world.market.get_data_status,
            equity=world.portfolio.get_equity,
            db=world.db,
            started_at=world.clock.now(),
        ),
        clock=world.clock,
    )


@pytest.fixture
def api(world: World) -> Iterator[Api]:
    plane = plane_on(world)
    with served(create_app(plane, UiConfig())) as url:
        yield Api(url, plane, None, world.db, {})  # type: ignore[arg-type]


def next_cycle(world: World) -> ExecutionPlan:
    engine = build_engine(
        world.config, world.db, portfolio=world.portfolio, market=world.market, clock=world.clock
    )
    return engine.run_cycle(CLOSE, "1h")


def test_cycle_when_nothing_set_then_it_opens(world: World, api: Api) -> None:
    plan = next_cycle(world)
    assert [a.action_type for a in plan.opening_actions] == ["open"]


def test_kill_switch_when_set_through_the_api_then_next_cycle_opens_nothing(
    world: World, api: Api
) -> None:
    response = api.send("post", "/api/risk/kill_switch", {"active": True, "reason": "panel"})
    assert response.status_code == 200

    plan = next_cycle(world)

    assert plan.opening_actions == ()
    [action] = plan.actions
    assert action.blocked and "kill_switch_manual" in action.blocked_reasons
    [decision] = api.data("/api/decisions")
    assert decision["kill_switch_active"] is True
    assert decision["actions"][0]["blocked_reasons"] == list(action.blocked_reasons)
    assert decision["intents"][0]["strategy_id"] == "trend_v1"


def test_risk_override_when_set_through_the_api_then_next_cycle_obeys_it(
    world: World, api: Api
) -> None:
    response = api.send("patch", "/api/risk/config", {"max_open_positions": 0})
    assert response.status_code == 200, response.text

    plan = next_cycle(world)

    [action] = plan.actions
    assert action.blocked and "max_open_positions" in action.blocked_reasons


def test_strategy_disabled_through_the_api_then_next_cycle_asks_it_nothing(
    world: World, api: Api
) -> None:
    response = api.send("patch", "/api/strategies/trend_v1/enabled", {"enabled": False})
    assert response.status_code == 200, response.text

    plan = next_cycle(world)

    assert plan.intents == () and plan.actions == ()
