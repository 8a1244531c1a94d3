"""``create_app``: the FastAPI control plane over a ``ControlPlane`` (contract Phase 6 §4).

Every route lives under ``<ui.base_path>/api`` and calls only the facade; ``Guard`` applies
auth and read-only in front of all of them. ``metrics`` is an optional ASGI app (Prometheus'
exposition) mounted at ``<base>/metrics``, behind the same guard.
"""

from fastapi import APIRouter, FastAPI
from starlette.types import ASGIApp

from krakked_core.api.errors import ERROR_RESPONSES, install_error_handlers
from krakked_core.api.guard import Guard
from krakked_core.api.routes import decisions, execution, portfolio, risk, strategies, system
from krakked_core.config import UiConfig
from krakked_core.control import ControlPlane

OPENAPI_PATH = "/api/openapi.json"


def create_app(control: ControlPlane, ui: UiConfig, *, metrics: ASGIApp | None = None) -> FastAPI:
    """The API app on ``control``, guarded as ``ui`` says."""
    base = ui.base_path.rstrip("/")
    app = FastAPI(
        title="Krakked control plane",
        version="1",
        openapi_url=f"{base}{OPENAPI_PATH}",
        docs_url=f"{base}/api/docs",
        redoc_url=None,
    )
    app.state.control = control
    api = APIRouter(prefix=f"{base}/api", responses=ERROR_RESPONSES)
    for module in (portfolio, risk, strategies, execution, decisions, system):
        api.include_router(module.router)
    app.include_router(api)
    if metrics is not None:
        app.mount(f"{base}/metrics", metrics)
    install_error_handlers(app)
    open_paths = frozenset({f"{base}/api{system.HEALTH_PATH}"})
    app.add_middleware(Guard, ui=ui, open_paths=open_paths)
    return app
