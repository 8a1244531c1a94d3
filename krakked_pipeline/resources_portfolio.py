"""The resource vending ``PortfolioService`` (credentials from env or the secrets file)."""

import os

import dagster as dg

from krakked_core.errors import NoCredentialsError
from krakked_core.portfolio.compose import build_portfolio_service
from krakked_core.portfolio.service import PortfolioService
from krakked_core.secrets import Credentials, load_credentials
from krakked_pipeline.resources import AppDatabase, KrakkedSettings


class Portfolio(dg.ConfigurableResource):  # type: ignore[type-arg]
    """``PortfolioService`` on the app DB; syncing needs credentials, reading does not."""

    settings: KrakkedSettings
    database: AppDatabase

    def service(self) -> PortfolioService:
        paths = self.settings.paths()
        return build_portfolio_service(
            self.settings.app_config(),
            paths,
            self.database.engine(),
            run_credentials(self.settings),
        )


def run_credentials(settings: KrakkedSettings) -> Credentials | None:
    """Return the credentials a run may use, or None (a run never prompts for a password)."""
    # KRAKKED_API_KEY/SECRET, or the secrets file + KRAKKED_MASTER_PASSWORD.
    try:
        return load_credentials(settings.paths(), os.environ)
    except NoCredentialsError:
        return None


def build_portfolio_resources(
    resources: dict[str, dg.ConfigurableResource],  # type: ignore[type-arg]
) -> dict[str, dg.ConfigurableResource]:  # type: ignore[type-arg]
    """Add ``portfolio`` to a resource set built by ``resources.build_resources``."""
    settings = resources["settings"]
    database = resources["database"]
    assert isinstance(settings, KrakkedSettings) and isinstance(database, AppDatabase)
    return {**resources, "portfolio": Portfolio(settings=settings, database=database)}
