"""Dagster resources: each vends krakked_core objects; nothing here holds business logic.

One resource per outside-world dependency, so a test (or a deployment) swaps one without
touching the others: where config and data live (``KrakkedSettings``), the clock
(``ClockResource``: the system's, or pinned like a sandbox), the app DB, Kraken's public
market data, and the services composed from them (market data, portfolio, the decision engine).
``build_resources`` wires the set the code location uses; tests give it other settings and a
pinned clock.
"""

import os
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
from pydantic import PrivateAttr
from sqlalchemy import Engine

from krakked_core.clock import Clock, ManualClock, PinnedClock, SystemClock
from krakked_core.config import AppConfig, load_config
from krakked_core.connection import build_market_gateway
from krakked_core.db import check_schema, make_engine
from krakked_core.errors import NoCredentialsError
from krakked_core.market_data.api import MarketDataAPI, build_market_data_api
from krakked_core.market_data.ohlc_store import OhlcStore
from krakked_core.paths import AppPaths
from krakked_core.portfolio.compose import build_portfolio_service
from krakked_core.portfolio.service import PortfolioService
from krakked_core.ports import MarketGateway
from krakked_core.secrets import Credentials, load_credentials
from krakked_core.strategy.cycle import compose_engine
from krakked_core.strategy.engine import StrategyRiskEngine

Resources = dict[str, dg.ConfigurableResource]  # type: ignore[type-arg]

# The config each process parsed, keyed by what it was parsed from: the files' bytes (config,
# per-env config, the running demo's venue record) and the KRAKKED_* variables. Sensors tick
# every few seconds and each run builds several resources; reading a few small files is cheap,
# parsing and validating them again is not, and an edited file is never served stale.
_LoadKey = tuple[tuple[str, bytes | None], ...]
_loaded: dict[_LoadKey, AppConfig] = {}


class KrakkedSettings(dg.ConfigurableResource):  # type: ignore[type-arg]
    """Where Krakked's config and data live (None: ``KRAKKED_*_DIR`` or the OS defaults)."""

    config_dir: str | None = None
    data_dir: str | None = None

    def paths(self) -> AppPaths:
        env = AppPaths.from_env()
        return AppPaths(
            config_dir=env.config_dir if self.config_dir is None else _path(self.config_dir),
            data_dir=env.data_dir if self.data_dir is None else _path(self.data_dir),
        )

    def app_config(self) -> AppConfig:
        """The config, read once per process and again only when its files or env changed."""
        paths = self.paths()
        key = _load_key(paths)
        config = _loaded.get(key)
        if config is None:
            config = _loaded[key] = load_config(paths)
        return config

    def credentials(self) -> Credentials | None:
        """The credentials a run may use, or None (a run never prompts for a password)."""
        # KRAKKED_API_KEY/SECRET, or the secrets file + KRAKKED_MASTER_PASSWORD.
        try:
            return load_credentials(self.paths(), os.environ)
        except NoCredentialsError:
            return None


class ClockResource(dg.ConfigurableResource):  # type: ignore[type-arg]
    """The clock sensors, checks and runs read: the system's, or one set to ``fixed_now`` (ISO)
    that stands still, or (``running``) runs on from it like a sandbox exchange pinned there."""

    fixed_now: str | None = None
    running: bool = False

    def clock(self) -> Clock:
        if self.fixed_now is None:
            return SystemClock()
        start = datetime.fromisoformat(self.fixed_now).astimezone(UTC)
        return PinnedClock(start) if self.running else ManualClock(start)


class AppDatabase(dg.ConfigurableResource):  # type: ignore[type-arg]
    """The app database engine, schema-checked (run `krakked db upgrade` when behind)."""

    settings: KrakkedSettings
    _engine: Engine | None = PrivateAttr(default=None)

    def engine(self) -> Engine:
        if self._engine is None:
            paths = self.settings.paths()
            engine = make_engine(self.settings.app_config().db.resolved_url(paths))
            check_schema(engine)
            self._engine = engine
        return self._engine

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


class KrakenRest(dg.ConfigurableResource):  # type: ignore[type-arg]
    """Kraken's public market data over REST (rate-limited like every other process's)."""

    settings: KrakkedSettings
    clock: ClockResource

    def market(self) -> MarketGateway:
        settings = self.settings
        return build_market_gateway(
            settings.app_config(), settings.paths(), clock=self.clock.clock()
        )


class MarketData(dg.ConfigurableResource):  # type: ignore[type-arg]
    """``MarketDataAPI`` and the OHLC store, composed from the resources above."""

    settings: KrakkedSettings
    clock: ClockResource
    database: AppDatabase
    rest: KrakenRest

    def api(self) -> MarketDataAPI:
        return build_market_data_api(
            self.settings.app_config(),
            self.settings.paths(),
            self.database.engine(),
            clock=self.clock.clock(),
            market=self.rest.market(),
            show_progress=False,
        )

    def now(self) -> int:
        """The current time in epoch seconds (checks compare bar times with it)."""
        return int(self.clock.clock().now().timestamp())

    def store(self) -> OhlcStore:
        root = self.settings.app_config().ohlc_root(self.settings.paths())
        return OhlcStore(root, self.clock.clock())


class Portfolio(dg.ConfigurableResource):  # type: ignore[type-arg]
    """``PortfolioService`` on the app DB; syncing needs credentials, reading does not."""

    settings: KrakkedSettings
    clock: ClockResource
    database: AppDatabase

    def service(self) -> PortfolioService:
        return build_portfolio_service(
            self.settings.app_config(),
            self.settings.paths(),
            self.database.engine(),
            self.settings.credentials(),
            clock=self.clock.clock(),
        )


class StrategyEngine(dg.ConfigurableResource):  # type: ignore[type-arg]
    """Market data, portfolio and the engine, all on one clock (one engine per run)."""

    settings: KrakkedSettings
    clock: ClockResource
    database: AppDatabase
    market_data: MarketData
    _engine: StrategyRiskEngine | None = PrivateAttr(default=None)

    def market(self) -> MarketDataAPI:
        """Market data on the engine's clock (the candle-close sensor reads it every tick)."""
        return self.market_data.api()

    def engine(self) -> StrategyRiskEngine:
        if self._engine is None:
            self._engine = compose_engine(
                self.settings.app_config(),
                self.settings.paths(),
                self.database.engine(),
                self.settings.credentials(),
                clock=self.clock.clock(),
            )
        return self._engine


def build_resources(
    settings: KrakkedSettings | None = None, clock: ClockResource | None = None
) -> Resources:
    """The resource set of the code location (or of a test, given other settings or a clock)."""
    settings = settings or KrakkedSettings()
    clock = clock or ClockResource()
    database = AppDatabase(settings=settings)
    rest = KrakenRest(settings=settings, clock=clock)
    market_data = MarketData(settings=settings, clock=clock, database=database, rest=rest)
    return {
        "settings": settings,
        "clock": clock,
        "database": database,
        "kraken_rest": rest,
        "market_data": market_data,
        "portfolio": Portfolio(settings=settings, clock=clock, database=database),
        "strategy_engine": StrategyEngine(
            settings=settings, clock=clock, database=database, market_data=market_data
        ),
    }


def _load_key(paths: AppPaths) -> _LoadKey:
    env = sorted((k, v.encode()) for k, v in os.environ.items() if k.startswith("KRAKKED_"))
    files = [paths.config_file, *sorted(paths.config_dir.glob("config.*.yaml"))]
    return (*env, *((str(path), _read(path)) for path in [*files, paths.active_venue_file]))


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _path(text: str) -> Path:
    return Path(text).expanduser()
