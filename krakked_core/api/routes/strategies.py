"""``/api/strategies``: state, enable/disable, safe runtime tuning."""

from fastapi import APIRouter

from krakked_core.api.deps import Caller, Control
from krakked_core.api.render import section_json
from krakked_core.api.schemas import (
    Envelope,
    StrategyConfigOut,
    StrategyConfigPatch,
    StrategyEnabledIn,
    StrategyOut,
)
from krakked_core.strategy.decision_views import strategy_state_json

router = APIRouter(prefix="/strategies", tags=["strategies"])


@router.get("", response_model=Envelope[list[StrategyOut]])
def strategies(control: Control) -> dict[str, object]:
    return {"data": [strategy_state_json(s) for s in control.strategies()]}


@router.patch("/{strategy_id}/enabled", response_model=Envelope[StrategyOut])
def set_enabled(
    strategy_id: str, body: StrategyEnabledIn, control: Control, caller: Caller
) -> dict[str, object]:
    state = control.set_strategy_enabled(strategy_id, body.enabled, caller)
    return {"data": strategy_state_json(state)}


@router.get("/{strategy_id}/config", response_model=Envelope[StrategyConfigOut])
def config(strategy_id: str, control: Control) -> dict[str, object]:
    return {"data": section_json(control.strategy_config(strategy_id), id=strategy_id)}


@router.patch("/{strategy_id}/config", response_model=Envelope[StrategyConfigOut])
def change_config(
    strategy_id: str, body: StrategyConfigPatch, control: Control, caller: Caller
) -> dict[str, object]:
    changes = body.model_dump(exclude_unset=True)
    settings = control.change_strategy_config(strategy_id, changes, caller)
    return {"data": section_json(settings, id=strategy_id)}


@router.delete("/{strategy_id}/config", response_model=Envelope[StrategyConfigOut])
def reset_config(strategy_id: str, control: Control, caller: Caller) -> dict[str, object]:
    """Drop the strategy's runtime overrides (enabled included): its config file's values."""
    settings = control.reset_strategy_config(strategy_id, caller)
    return {"data": section_json(settings, id=strategy_id)}
