"""Dagster resources: each vends krakked_core objects (config, DB engine, REST client, API).

Tests swap the settings (config/data dirs pointing at a temp dir whose config aims the REST
client at the sandbox exchange); nothing here holds business logic.
"""

from pathlib import Path

import dagster as dg
from pydantic import PrivateAttr
from sqlalchemy import Engine

from krakked_core.clock import SystemClock
from krakked_core.config import AppConfig, load_config
from krakked_core.connection import KrakenRestClient, build_rest_client
from krakked_core.db import check_schema, make_engine
from krakked_core.market_data.api import MarketDataAPI, build_market_data_api
from krakked_core.market_data.ohlc_store import OhlcStore
from krakked_core.paths import AppPaths


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
        return load_config(self.paths())


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
    """The public Kraken REST client (rate-limited like every other process's)."""

    settings: KrakkedSettings

    def client(self) -> KrakenRestClient:
        return build_rest_client(self.settings.app_config(), self.settings.paths(), None)


class MarketData(dg.ConfigurableResource):  # type: ignore[type-arg]
    """``MarketDataAPI`` and the OHLC store, composed from the resources above."""

    settings: KrakkedSettings
    database: AppDatabase
    rest: KrakenRest

    def api(self) -> MarketDataAPI:
        return build_market_data_api(
            self.settings.app_config(),
            self.settings.paths(),
            self.database.engine(),
            clock=SystemClock(),
            client=self.rest.client(),
            show_progress=False,
        )

    def now(self) -> int:
        """The current time in epoch seconds (checks compare bar times with it)."""
        return int(SystemClock().now().timestamp())

    def store(self) -> OhlcStore:
        return OhlcStore(self.settings.app_config().ohlc_root(self.settings.paths()), SystemClock())


def build_resources(settings: KrakkedSettings | None = None) -> dict[str, dg.ConfigurableResource]:  # type: ignore[type-arg]
    """The resource set of the code location (or of a test, given other settings)."""
    settings = settings or KrakkedSettings()
    database = AppDatabase(settings=settings)
    rest = KrakenRest(settings=settings)
    return {
        "settings": settings,
        "database": database,
        "kraken_rest": rest,
        "market_data": MarketData(settings=settings, database=database, rest=rest),
    }


def _path(text: str) -> Path:
    return Path(text).expanduser()
