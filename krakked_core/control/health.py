"""Each component's health for the operator (contract Phase 6 §4.6): one line per component,
never an exception (a component that cannot be asked is simply not ok, saying why)."""

from collections.abc import Callable
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version

from sqlalchemy import Engine

from krakked_core.config import AppConfig
from krakked_core.control.views import ComponentHealth, Health
from krakked_core.db import current_revisions
from krakked_core.errors import KrakkedError
from krakked_core.model.market import DataStatus
from krakked_core.portfolio.models import EquityView


class HealthProbe:
    """Ask market data, the portfolio, the engine and the OMS how they are."""

    def __init__(
        self,
        *,
        data_status: Callable[[], DataStatus],
        equity: Callable[[], EquityView],
        db: Engine,
        started_at: datetime,
        execution: Callable[[], ComponentHealth] | None = None,
    ) -> None:
        self._data_status = data_status
        self._equity = equity
        self._db = db
        self._started_at = started_at
        self._execution = execution

    def check(self, config: AppConfig, overlay_problem: str | None) -> Health:
        components = (
            self._market(),
            self._portfolio(),
            ComponentHealth(
                "strategy_engine",
                overlay_problem is None,
                overlay_problem or "config and runtime overlay in force",
            ),
            self._execution()
            if self._execution is not None
            else ComponentHealth("execution", False, "no execution service in this process"),
        )
        return Health(
            components=components,
            mode=config.execution.mode,
            version=_version(),
            schema_revisions=tuple(sorted(current_revisions(self._db))),
            started_at=self._started_at,
        )

    def _market(self) -> ComponentHealth:
        try:
            status = self._data_status()
        except KrakkedError as exc:
            return ComponentHealth("market_data", False, f"{type(exc).__name__}: {exc}")
        problems = [
            *([] if status.rest_ok else ["REST unreachable"]),
            *([] if status.ws_connected else ["WebSocket disconnected"]),
            *(f"stopped: {loop}" for loop in status.stopped_loops),
            *([f"{len(status.stale_pairs)} stale pairs"] if status.stale_pairs else []),
        ]
        fresh = f"{len(status.fresh_pairs)} fresh pairs"
        return ComponentHealth("market_data", not problems, "; ".join(problems) or fresh)

    def _portfolio(self) -> ComponentHealth:
        try:
            equity = self._equity()
        except KrakkedError as exc:
            return ComponentHealth("portfolio", False, f"{type(exc).__name__}: {exc}")
        problems = [
            *(["never synced"] if equity.never_synced else []),
            *(["balances stale"] if equity.stale else []),
            *([f"drift in {', '.join(equity.drift_assets)}"] if equity.drift_flag else []),
            *([f"unvalued: {', '.join(equity.unvalued_assets)}"] if not equity.complete else []),
        ]
        return ComponentHealth("portfolio", not problems, "; ".join(problems) or "in sync")


def _version() -> str:
    try:
        return version("krakked")
    except PackageNotFoundError:
        return "unknown"
