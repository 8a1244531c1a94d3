"""``ApiClient``: the only code of the panel that talks to the control plane (HTTP + token).

Every answer is unwrapped from the ``{"data": …, "error": …}`` envelope into the API's own
pydantic models (``krakked_core.api.schemas``), so a shape change shows up as a validation
error here, not as a wrong number on a page. Every failure is a ``PanelApiError`` subclass whose
message a page can show as it is (never a traceback, never the token).
"""

from collections.abc import Mapping
from typing import Any, TypeVar

import requests
from pydantic import TypeAdapter, ValidationError

from krakked_core.api.schemas import (
    AuditOut,
    CancelAllOut,
    DecisionOut,
    ExecutionModeOut,
    ExecutionOut,
    ExposureOut,
    HealthOut,
    KillSwitchOut,
    OrderOut,
    PortfolioSummaryOut,
    PositionOut,
    RiskConfigOut,
    RiskStatusOut,
    SnapshotOut,
    StrategyConfigOut,
    StrategyOut,
    TradeOut,
)

T = TypeVar("T")

TIMEOUT_SECONDS = 10.0


class PanelApiError(Exception):
    """The API could not give what a page asked for; ``str()`` says why in plain words."""


class ApiDownError(PanelApiError):
    """Nothing answers at the API's address (not started, wrong URL, or it timed out)."""


class ApiAuthError(PanelApiError):
    """The API refused the token (missing or wrong)."""


class ApiReadOnlyError(PanelApiError):
    """The API is in read-only mode (``ui.read_only``): no action is accepted."""


class RouteMissingError(PanelApiError):
    """This API does not offer the route (it is not in its OpenAPI schema)."""


class ApiRefusedError(PanelApiError):
    """The API refused the request as it stands (bad value, wrong phrase, not now, unknown)."""


class ApiUnavailableError(PanelApiError):
    """A service behind the API cannot answer now (503), e.g. no OMS in the API process."""


class ApiClient:
    """HTTP client of the control plane at ``base_url`` (e.g. ``http://127.0.0.1:8080``)."""

    def __init__(
        self, base_url: str, token: str = "", *, session: requests.Session | None = None
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._session = session or requests.Session()
        if token:
            self._session.headers["Authorization"] = f"Bearer {token}"
        self._routes: frozenset[tuple[str, str]] | None = None

    # --- what the API offers ---------------------------------------------------------------

    def routes(self) -> frozenset[tuple[str, str]]:
        """``(METHOD, path)`` pairs the API's OpenAPI schema lists (paths without ``/api``)."""
        if self._routes is None:
            schema = self._json("GET", "/api/openapi.json")
            prefix = f"{_path_of(self.base_url)}/api"
            self._routes = frozenset(
                (method.upper(), path.removeprefix(prefix))
                for path, methods in schema.get("paths", {}).items()
                for method in methods
            )
        return self._routes

    def offers(self, method: str, path: str) -> bool:
        return (method.upper(), path) in self.routes()

    # --- reads -----------------------------------------------------------------------------

    def health(self) -> HealthOut:
        return self._call("GET", "/system/health", HealthOut)

    def system_config(self) -> dict[str, Any]:
        return self._call("GET", "/system/config", dict[str, Any])

    def summary(self) -> PortfolioSummaryOut:
        return self._call("GET", "/portfolio/summary", PortfolioSummaryOut)

    def positions(self) -> list[PositionOut]:
        return self._call("GET", "/portfolio/positions", list[PositionOut])

    def exposure(self) -> ExposureOut:
        return self._call("GET", "/portfolio/exposure", ExposureOut)

    def equity_history(self, limit: int = 500) -> list[SnapshotOut]:
        return self._call(
            "GET", "/portfolio/equity_history", list[SnapshotOut], params={"limit": limit}
        )

    def trades(
        self,
        *,
        pair: str | None = None,
        strategy_id: str | None = None,
        since: str | None = None,
        limit: int = 100,
    ) -> list[TradeOut]:
        params = {"pair": pair, "strategy_id": strategy_id, "since": since, "limit": limit}
        return self._call("GET", "/portfolio/trades", list[TradeOut], params=params)

    def risk_status(self) -> RiskStatusOut:
        return self._call("GET", "/risk/status", RiskStatusOut)

    def risk_config(self) -> RiskConfigOut:
        return self._call("GET", "/risk/config", RiskConfigOut)

    def strategies(self) -> list[StrategyOut]:
        return self._call("GET", "/strategies", list[StrategyOut])

    def strategy_config(self, strategy_id: str) -> StrategyConfigOut:
        return self._call(
            "GET",
            f"/strategies/{strategy_id}/config",
            StrategyConfigOut,
            route="/strategies/{strategy_id}/config",
        )

    def decisions(self, limit: int = 20) -> list[DecisionOut]:
        return self._call("GET", "/decisions", list[DecisionOut], params={"limit": limit})

    def audit(self, limit: int = 100) -> list[AuditOut]:
        return self._call("GET", "/audit", list[AuditOut], params={"limit": limit})

    def open_orders(self) -> list[OrderOut]:
        return self._call("GET", "/execution/open_orders", list[OrderOut])

    def recent_executions(self, limit: int = 20) -> list[ExecutionOut]:
        return self._call(
            "GET", "/execution/recent_executions", list[ExecutionOut], params={"limit": limit}
        )

    # --- actions ---------------------------------------------------------------------------

    def set_kill_switch(
        self, active: bool, *, reason: str = "", confirm: str = ""
    ) -> KillSwitchOut:
        body = {"active": active, "reason": reason, "confirm": confirm}
        return self._call("POST", "/risk/kill_switch", KillSwitchOut, body=body)

    def change_risk_config(self, changes: Mapping[str, Any]) -> RiskConfigOut:
        return self._call("PATCH", "/risk/config", RiskConfigOut, body=dict(changes))

    def set_strategy_enabled(self, strategy_id: str, enabled: bool) -> StrategyOut:
        return self._call(
            "PATCH",
            f"/strategies/{strategy_id}/enabled",
            StrategyOut,
            body={"enabled": enabled},
            route="/strategies/{strategy_id}/enabled",
        )

    def change_strategy_config(
        self, strategy_id: str, changes: Mapping[str, Any]
    ) -> StrategyConfigOut:
        return self._call(
            "PATCH",
            f"/strategies/{strategy_id}/config",
            StrategyConfigOut,
            body=dict(changes),
            route="/strategies/{strategy_id}/config",
        )

    def cancel_order(self, local_id: str) -> OrderOut:
        return self._call(
            "POST", f"/execution/cancel/{local_id}", OrderOut, route="/execution/cancel/{local_id}"
        )

    def cancel_all(self, confirm: str) -> CancelAllOut:
        return self._call("POST", "/execution/cancel_all", CancelAllOut, body={"confirm": confirm})

    def flatten_all(self, confirm: str) -> ExecutionOut:
        return self._call("POST", "/execution/flatten_all", ExecutionOut, body={"confirm": confirm})

    def set_execution_mode(self, mode: str, confirm: str = "") -> ExecutionModeOut:
        body = {"mode": mode, "confirm": confirm}
        return self._call("PATCH", "/system/execution_mode", ExecutionModeOut, body=body)

    def create_snapshot(self) -> SnapshotOut:
        return self._call("POST", "/portfolio/snapshot", SnapshotOut)

    # --- transport -------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        shape: type[T],
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        route: str | None = None,
    ) -> T:
        if not self.offers(method, route or path):
            raise RouteMissingError(f"this API does not offer {method} /api{route or path} yet")
        payload = self._json(method, f"/api{path}", params=params, body=body)
        try:
            result: T = TypeAdapter(shape).validate_python(payload.get("data"))
        except ValidationError as exc:
            raise PanelApiError(
                f"the API answered {method} /api{path} in an unexpected shape "
                f"({exc.error_count()} field errors): panel and API versions differ?"
            ) from None
        return result

    def _json(
        self, method: str, path: str, *, params: Mapping[str, Any] | None = None, body: Any = None
    ) -> dict[str, Any]:
        query = {k: v for k, v in (params or {}).items() if v is not None}
        try:
            response = self._session.request(
                method, f"{self.base_url}{path}", params=query, json=body, timeout=TIMEOUT_SECONDS
            )
        except requests.RequestException as exc:
            raise ApiDownError(
                f"the API at {self.base_url} does not answer ({type(exc).__name__}): "
                "is `krakked api` running, and is the panel's --api-url right?"
            ) from None
        try:
            payload = response.json()
        except ValueError:
            payload = {}
        if not isinstance(payload, dict):
            payload = {}
        if response.status_code >= 400:
            raise _error_for(response.status_code, str(payload.get("error") or response.reason))
        return payload


def _error_for(status: int, message: str) -> PanelApiError:
    if status == 401:
        return ApiAuthError(
            "the API refused the panel's token: set ui.auth.token in the config the panel "
            "reads to the API's token"
        )
    if status == 403:
        return ApiReadOnlyError(message)
    if status == 503:
        return ApiUnavailableError(message)
    if status in (404, 409, 422):
        return ApiRefusedError(message)
    return PanelApiError(f"the API failed ({status}): {message}")


def _path_of(url: str) -> str:
    """``http://h:p/krakked`` → ``/krakked`` (the API's base path, if it is served under one)."""
    rest = url.split("://", 1)[-1]
    return "/" + rest.split("/", 1)[1].rstrip("/") if "/" in rest else ""
