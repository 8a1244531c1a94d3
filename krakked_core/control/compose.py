"""Build the ``ControlPlane`` from config: the composition root of ``krakked api``."""

from sqlalchemy import Engine

from krakked_core.clock import Clock
from krakked_core.config import AppConfig
from krakked_core.config_overlay import OverlayStore
from krakked_core.connection import build_rest_client
from krakked_core.control.audit import AuditLog
from krakked_core.control.execution_port import ExecutionPort
from krakked_core.control.health import HealthProbe
from krakked_core.control.plane import ControlPlane, LiveCheck
from krakked_core.control.settings import RuntimeSettings
from krakked_core.control_state import ControlStateStore
from krakked_core.market_data.api import build_market_data_api
from krakked_core.paths import AppPaths
from krakked_core.portfolio.compose import build_portfolio_service
from krakked_core.ports import MarketGateway
from krakked_core.secrets import Credentials, ValidationOutcome, validate_credentials
from krakked_core.strategy.decision_store import DecisionStore
from krakked_core.strategy.engine import StrategyRiskEngine

# How long a costly answer (risk status, summary …) is shared by every client: well under the
# panel's refresh (ui.refresh_intervals), so no one sees it older than a refresh.
READ_TTL_SECONDS = 1.0


def build_control_plane(
    config: AppConfig,
    paths: AppPaths,
    db: Engine,
    credentials: Credentials | None,
    *,
    clock: Clock,
    market: MarketGateway | None = None,
    read_ttl_seconds: float = READ_TTL_SECONDS,
    execution: ExecutionPort | None = None,
) -> ControlPlane:
    """The facade on the app DB and the exchange at ``exchange.rest_url`` (Kraken or the
    sandbox); ``market`` replaces the Kraken adapter of public market data; ``execution`` is
    the OMS (None: the execution routes answer 503).

    The engine starts on the files' config: the runtime overlay is applied on top by
    ``RuntimeSettings``, so a bad overlay shows in the health instead of stopping the API.
    """
    market_data = build_market_data_api(
        config, paths, db, clock=clock, market=market, show_progress=False
    )
    portfolio = build_portfolio_service(config, paths, db, credentials, clock=clock, market=market)
    control = ControlStateStore(db, clock)
    decisions = DecisionStore(db)
    engine = StrategyRiskEngine(
        config,
        portfolio=portfolio,
        market=market_data,
        control=control,
        decisions=decisions,
        clock=clock,
    )
    engine.initialize()
    health = HealthProbe(
        data_status=market_data.get_data_status,
        equity=portfolio.get_equity,
        db=db,
        started_at=clock.now(),
    )
    return ControlPlane(
        settings=RuntimeSettings(config, OverlayStore(db, clock), engine),
        engine=engine,
        portfolio=portfolio,
        control=control,
        decisions=decisions,
        audit=AuditLog(db, clock),
        health=health,
        clock=clock,
        live_check=_live_check(config, paths, credentials, clock),
        read_ttl_seconds=read_ttl_seconds,
        execution=execution,
    )


def _live_check(
    config: AppConfig, paths: AppPaths, credentials: Credentials | None, clock: Clock
) -> LiveCheck | None:
    if credentials is None:
        return None

    def check() -> ValidationOutcome:
        return validate_credentials(build_rest_client(config, paths, credentials, clock=clock))

    return check


__all__ = ["build_control_plane"]
