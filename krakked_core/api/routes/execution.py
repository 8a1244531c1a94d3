"""``/api/execution``: open orders, recent executions, cancel, cancel all, flatten all.

Answered by the OMS through the facade; 503 while no OMS is part of the API process.
"""

from fastapi import APIRouter

from krakked_core.api.deps import Caller, Control, Limit
from krakked_core.api.render import execution_json, order_json
from krakked_core.api.schemas import CancelAllOut, ConfirmIn, Envelope, ExecutionOut, OrderOut

router = APIRouter(prefix="/execution", tags=["execution"])


@router.get("/open_orders", response_model=Envelope[list[OrderOut]])
def open_orders(control: Control) -> dict[str, object]:
    return {"data": [order_json(o) for o in control.open_orders()]}


@router.get("/recent_executions", response_model=Envelope[list[ExecutionOut]])
def recent_executions(control: Control, limit: Limit = 20) -> dict[str, object]:
    return {"data": [execution_json(r) for r in control.recent_executions(limit)]}


@router.get("/orders/{local_id}", response_model=Envelope[OrderOut])
def order(local_id: str, control: Control) -> dict[str, object]:
    return {"data": order_json(control.order(local_id))}


@router.post("/cancel/{local_id}", response_model=Envelope[OrderOut])
def cancel(local_id: str, control: Control, caller: Caller) -> dict[str, object]:
    return {"data": order_json(control.cancel_order(local_id, caller))}


@router.post("/cancel_all", response_model=Envelope[CancelAllOut])
def cancel_all(body: ConfirmIn, control: Control, caller: Caller) -> dict[str, object]:
    """Cancel every open order (``confirm: "CANCEL ALL"``)."""
    return {"data": {"canceled": control.cancel_all(caller, confirm=body.confirm)}}


@router.post("/flatten_all", response_model=Envelope[ExecutionOut])
def flatten_all(body: ConfirmIn, control: Control, caller: Caller) -> dict[str, object]:
    """Close every position now (``confirm: "FLATTEN"``)."""
    return {"data": execution_json(control.flatten_all(caller, confirm=body.confirm))}
