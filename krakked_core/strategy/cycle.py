"""The decision cycle from config: the composition root and the one function the job and
``krakked cycle`` share.
"""

from datetime import UTC, datetime

from sqlalchemy import Engine

from krakked_core.clock import Clock, SystemClock
from krakked_core.config import AppConfig
from krakked_core.config_overlay import OverlayStore, apply_overlay
from krakked_core.control_state import ControlStateStore
from krakked_core.market_data.api import MarketDataAPI, build_market_data_api
from krakked_core.model.decisions import ExecutionPlan
from krakked_core.model.market import TIMEFRAME_SECONDS, Timeframe
from krakked_core.paths import AppPaths
from krakked_core.portfolio.compose import build_portfolio_service
from krakked_core.portfolio.service import PortfolioService
from krakked_core.secrets import Credentials
from krakked_core.strategy.decision_store import DecisionStore
from krakked_core.strategy.engine import StrategyRiskEngine


def build_engine(
    config: AppConfig,
    db: Engine,
    *,
    portfolio: PortfolioService,
    market: MarketDataAPI,
    clock: Clock | None = None,
) -> StrategyRiskEngine:
    """An initialized engine on the app DB, with the operator's runtime overlay applied
    (``config_overlay``); ConfigError when a strategy's config (or the overlay) is invalid."""
    clock = clock or SystemClock()
    engine = StrategyRiskEngine(
        apply_overlay(config, OverlayStore(db, clock).load()),
        portfolio=portfolio,
        market=market,
        control=ControlStateStore(db, clock),
        decisions=DecisionStore(db),
        clock=clock,
    )
    engine.initialize()
    return engine


def compose_engine(
    config: AppConfig,
    paths: AppPaths,
    db: Engine,
    credentials: Credentials | None,
    *,
    clock: Clock | None = None,
) -> StrategyRiskEngine:
    """The engine on the exchange at ``exchange.rest_url`` (Kraken or the sandbox) and the app DB.

    Without credentials everything but the portfolio sync works (a cycle then opens nothing).
    """
    clock = clock or SystemClock()
    market = build_market_data_api(config, paths, db, clock=clock, show_progress=False)
    portfolio = build_portfolio_service(config, paths, db, credentials, clock=clock)
    return build_engine(config, db, portfolio=portfolio, market=market, clock=clock)


def candle_close(timeframe: Timeframe, at: datetime) -> datetime:
    """The close of the newest ``timeframe`` candle closed at ``at`` (a close is the next open)."""
    seconds = TIMEFRAME_SECONDS[timeframe]
    return datetime.fromtimestamp(int(at.timestamp()) // seconds * seconds, UTC)


def run_decision_cycle(
    engine: StrategyRiskEngine, timeframe: Timeframe, at: datetime
) -> ExecutionPlan:
    """Run and store the cycle of the newest ``timeframe`` candle closed at ``at``."""
    return engine.run_cycle(candle_close(timeframe, at), timeframe)
