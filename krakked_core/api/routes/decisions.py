"""``/api/decisions`` and ``/api/audit``: what the cycles decided and what operators did."""

from fastapi import APIRouter

from krakked_core.api.deps import Control, Limit
from krakked_core.api.render import audit_json, full_decision_json
from krakked_core.api.schemas import AuditOut, DecisionOut, Envelope

router = APIRouter(tags=["decisions"])


@router.get("/decisions", response_model=Envelope[list[DecisionOut]])
def decisions(control: Control, limit: Limit = 20) -> dict[str, object]:
    """The newest cycles first, with their intents and actions (blocked ones say why)."""
    return {"data": [full_decision_json(d) for d in control.decisions(limit)]}


@router.get("/audit", response_model=Envelope[list[AuditOut]])
def audit(control: Control, limit: Limit = 100, action: str | None = None) -> dict[str, object]:
    """Every operator action, newest first, however it ended."""
    return {"data": [audit_json(e) for e in control.audit(limit, action)]}
