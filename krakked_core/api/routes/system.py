"""``/api/system``: health, the redacted config in force, execution mode."""

from typing import Any

from fastapi import APIRouter

from krakked_core.api.deps import Caller, Control
from krakked_core.api.render import health_json
from krakked_core.api.schemas import Envelope, ExecutionModeIn, ExecutionModeOut, HealthOut

router = APIRouter(prefix="/system", tags=["system"])

HEALTH_PATH = "/system/health"


@router.get("/health", response_model=Envelope[HealthOut])
def health(control: Control) -> dict[str, object]:
    """Each component's health and the execution mode (never needs the token)."""
    return {"data": health_json(control.health())}


@router.get("/config", response_model=Envelope[dict[str, Any]])
def config(control: Control) -> dict[str, object]:
    """The config in force (files + runtime overlay), every secret shown as ``**********``."""
    return {"data": control.config().redacted()}


@router.patch("/execution_mode", response_model=Envelope[ExecutionModeOut])
def execution_mode(body: ExecutionModeIn, control: Control, caller: Caller) -> dict[str, object]:
    """Switch paper / dry_run / live (live: ``confirm: "GO LIVE"``)."""
    config = control.set_execution_mode(body.mode, caller, confirm=body.confirm)
    note = "in force for the next plan the OMS executes"
    return {"data": {"mode": config.execution.mode, "note": note}}
