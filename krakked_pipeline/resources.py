"""Dagster resources: each vends krakked_core objects; nothing here holds business logic.

One resource per outside-world dependency, so a test (or a deployment) swaps one without
touching the others: where config and data live (``KrakkedSettings``), the clock
(``ClockResource``: the system's, or pinned like a sandbox), the app DB, and the venue behind
the ports of ``krakked_core.ports`` — ``MarketGatewayResource`` and ``AccountSourceResource``,
each an abstract resource with a Kraken implementation (aimed at Kraken or the sandbox exchange
by the config's ``exchange.rest_url``) and fakes in ``tests/fakes`` — then the services composed
from them (market data, portfolio, the decision engine). ``build_resources`` wires the set the
code location uses; tests give it other settings, a pinned clock, or another venue.
"""

import os
from abc import ABC, abstractmethod
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
from pydantic import PrivateAttr
from sqlalchemy import Engine

from krakked_core.clock import Clock, ManualClock, PinnedClock, SystemClock
from krakked_core.config import AppConfig
from krakked_core.config_loading import load_config
from krakked_core.connection.compose import build_account_source, build_market_gateway
from krakked_core.db import check_schema, make_engine
from krakked_core.errors import NoCredentialsError
from krakked_core.market_data.api import MarketDataAPI, build_market_data_api
from krakked_core.market_data.ohlc_store import OhlcStore
from krakked_core.paths import AppPaths
from krakked_core.portfolio.compose import NoAccount, build_portfolio_service
from krakked_core.portfolio.service import PortfolioService
from krakked_core.ports import AccountSource, MarketGateway
from krakked_core.secrets import Credentials, load_credentials
from krakked_core.strategy.cycle import build_engine
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


class MarketGatewayResource(dg.ConfigurableResource, ABC):  # type: ignore[type-arg]
    """The venue's public market data (``ports.MarketGateway``)."""

    @abstractmethod
    def gateway(self) -> MarketGateway: ...


class KrakenMarket(MarketGatewayResource):
    """Kraken's public REST market data (rate-limited like every other process's), or the
    sandbox exchange's when the config aims ``exchange.rest_url`` at it."""

    settings: KrakkedSettings
    clock: ClockResource

    def gateway(self) -> MarketGateway:
        settings = self.settings
        return build_market_gateway(
            settings.app_config(), settings.paths(), clock=self.clock.clock()
        )


class AccountSourceResource(dg.ConfigurableResource, ABC):  # type: ignore[type-arg]
    """The account's balances and history (``ports.AccountSource``)."""

    @abstractmethod
    def account(self) -> AccountSource: ...


class KrakenAccount(AccountSourceResource):
    """The account of the run's API key on Kraken (or the sandbox); without credentials, one
    that says syncing needs them (reading the books still works)."""

    settings: KrakkedSettings
    clock: ClockResource

    def account(self) -> AccountSource:
        credentials = self.settings.credentials()
        if credentials is None:
            return NoAccount()
        settings = self.settings
        return build_account_source(
            settings.app_config(), settings.paths(), credentials, clock=self.clock.clock()
        )


class MarketData(dg.ConfigurableResource):  # type: ignore[type-arg]
    """``MarketDataAPI`` and the OHLC store, composed from the resources above."""

    settings: KrakkedSettings
    clock: ClockResource
    database: AppDatabase
    market: MarketGatewayResource

    def api(self) -> MarketDataAPI:
        return build_market_data_api(
            self.settings.app_config(),
            self.settings.paths(),
            self.database.engine(),
            clock=self.clock.clock(),
            market=self.market.gateway(),
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
    account: AccountSourceResource
    market: MarketGatewayResource

    def service(self) -> PortfolioService:
        return build_portfolio_service(
            self.settings.app_config(),
            self.settings.paths(),
            self.database.engine(),
            self.settings.credentials(),
            clock=self.clock.clock(),
            account=self.account.account(),
            market=self.market.gateway(),
        )


class StrategyEngine(dg.ConfigurableResource):  # type: ignore[type-arg]
    """Market data, portfolio and the engine, all on one clock (one engine per run)."""

    settings: KrakkedSettings
    clock: ClockResource
    database: AppDatabase
    market_data: MarketData
    portfolio: Portfolio
    _engine: StrategyRiskEngine | None = PrivateAttr(default=None)

    def market(self) -> MarketDataAPI:
        """Market data on the engine's clock (the candle-close sensor reads it every tick)."""
        return self.market_data.api()

    def engine(self) -> StrategyRiskEngine:
        if self._engine is None:
            self._engine = build_engine(
                self.settings.app_config(),
                self.database.engine(),
                portfolio=self.portfolio.service(),
                market=self.market_data.api(),
                clock=self.clock.clock(),
            )
        return self._engine


def build_resources(
    settings: KrakkedSettings | None = None,
    clock: ClockResource | None = None,
    *,
    market: MarketGatewayResource | None = None,
    account: AccountSourceResource | None = None,
) -> Resources:
    """The resource set of the code location, or of a test given other settings, a pinned
    clock, or another venue (``market``, ``account``: Kraken's adapters when None)."""
    settings = settings or KrakkedSettings()
    clock = clock or ClockResource()
    database = AppDatabase(settings=settings)
    market = market or KrakenMarket(settings=settings, clock=clock)
    account = account or KrakenAccount(settings=settings, clock=clock)
    market_data = MarketData(settings=settings, clock=clock, database=database, market=market)
    portfolio = Portfolio(
        settings=settings, clock=clock, database=database, account=account, market=market
    )
    return {
        "settings": settings,
        "clock": clock,
        "database": database,
        "market": market,
        "account": account,
        "market_data": market_data,
        "portfolio": portfolio,
        "strategy_engine": StrategyEngine(
            settings=settings,
            clock=clock,
            database=database,
            market_data=market_data,
            portfolio=portfolio,
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
