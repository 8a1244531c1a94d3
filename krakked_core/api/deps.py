"""What routes get from the request: the facade, who is asking, and checked query values."""

from datetime import datetime
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.exceptions import RequestValidationError

from krakked_core.control import ControlPlane
from krakked_core.control.audit import Actor


def _control(request: Request) -> ControlPlane:
    plane: ControlPlane = request.app.state.control
    return plane


def _actor(request: Request) -> Actor:
    return Actor(source="api", client=request.client.host if request.client else "")


def _since(
    since: Annotated[
        datetime | None, Query(description="ISO 8601 with a timezone, e.g. 2026-03-02T00:00Z")
    ] = None,
) -> datetime | None:
    if since is not None and since.utcoffset() is None:
        raise RequestValidationError(
            [{"loc": ("query", "since"), "msg": "needs a timezone (e.g. Z)", "type": "value_error"}]
        )
    return since


Control = Annotated[ControlPlane, Depends(_control)]
Caller = Annotated[Actor, Depends(_actor)]
Since = Annotated[datetime | None, Depends(_since)]
Limit = Annotated[int, Query(ge=1, le=1000)]
