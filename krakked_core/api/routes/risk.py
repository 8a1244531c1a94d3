"""``/api/risk``: status, limits (and their runtime overrides), the kill switch."""

from fastapi import APIRouter

from krakked_core.api.deps import Caller, Control
from krakked_core.api.render import section_json
from krakked_core.api.schemas import (
    Envelope,
    KillSwitchIn,
    KillSwitchOut,
    RiskConfigOut,
    RiskConfigPatch,
    RiskStatusOut,
)
from krakked_core.risk.views import risk_status_json
from krakked_core.strategy.decision_views import kill_switch_json

router = APIRouter(prefix="/risk", tags=["risk"])


@router.get("/status", response_model=Envelope[RiskStatusOut])
def status(control: Control) -> dict[str, object]:
    data = risk_status_json(control.risk_status())
    return {"data": {**data, "manual_kill_switch": kill_switch_json(control.kill_switch())}}


@router.get("/config", response_model=Envelope[RiskConfigOut])
def config(control: Control) -> dict[str, object]:
    return {"data": section_json(control.risk_config())}


@router.patch("/config", response_model=Envelope[RiskConfigOut])
def change_config(body: RiskConfigPatch, control: Control, caller: Caller) -> dict[str, object]:
    """Override some limits from the next cycle on (the rest stay as the config file says)."""
    changes = body.model_dump(exclude_unset=True)
    return {"data": section_json(control.change_risk_config(changes, caller))}


@router.delete("/config", response_model=Envelope[RiskConfigOut])
def reset_config(control: Control, caller: Caller) -> dict[str, object]:
    """Drop every runtime override: the config file's limits again, from the next cycle on."""
    return {"data": section_json(control.reset_risk_config(caller))}


@router.get("/kill_switch", response_model=Envelope[KillSwitchOut])
def kill_switch(control: Control) -> dict[str, object]:
    return {"data": kill_switch_json(control.kill_switch())}


@router.post("/kill_switch", response_model=Envelope[KillSwitchOut])
def set_kill_switch(body: KillSwitchIn, control: Control, caller: Caller) -> dict[str, object]:
    """Activate (no confirmation) or clear (``confirm: "DISABLE KILL SWITCH"``)."""
    state = control.set_kill_switch(body.active, caller, reason=body.reason, confirm=body.confirm)
    return {"data": kill_switch_json(state)}
