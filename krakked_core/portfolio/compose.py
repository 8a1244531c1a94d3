"""Build a ``PortfolioService`` from config: the composition root the CLI and Dagster share."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Engine

from krakked_core.clock import Clock, SystemClock
from krakked_core.config import AppConfig
from krakked_core.connection import build_rest_client
from krakked_core.connection.account_source import KrakenAccountSource
from krakked_core.connection.market_gateway import KrakenMarketGateway
from krakked_core.connection.prices import KrakenHistoricalPrices, KrakenTickerPrices
from krakked_core.errors import DataError, NoCredentialsError
from krakked_core.market_data.api import build_market_data_api
from krakked_core.model.account import AccountBalances, ExchangeOrder, LedgerEntry, Page, TradeFill
from krakked_core.paths import AppPaths
from krakked_core.portfolio.service import PortfolioService
from krakked_core.portfolio.store import PortfolioStore
from krakked_core.ports import AccountSource, MarketGateway, PriceSource
from krakked_core.secrets import Credentials


class FirstAvailablePrice:
    """Ask each source in turn (the sidecar's live cache, then REST); the last error wins."""

    def __init__(self, *sources: PriceSource) -> None:
        if not sources:
            raise ValueError("at least one price source")
        self._sources = sources

    def get_latest_price(self, pair: str) -> Decimal:
        error: DataError | None = None
        for source in self._sources:
            try:
                return source.get_latest_price(pair)
            except DataError as exc:
                error = exc
        assert error is not None
        raise error


class NoAccount:
    """The account when no credentials were given: queries work, syncing says what is missing."""

    def _refuse(self) -> None:
        raise NoCredentialsError("syncing the portfolio needs API credentials (`krakked setup`)")

    def trades_page(self, *, offset: int, start: datetime | None) -> Page[TradeFill]:
        self._refuse()
        raise AssertionError  # unreachable

    def ledger_page(self, *, offset: int, start: datetime | None) -> Page[LedgerEntry]:
        self._refuse()
        raise AssertionError

    def closed_orders_page(self, *, offset: int, start: datetime | None) -> Page[ExchangeOrder]:
        self._refuse()
        raise AssertionError

    def balances(self) -> AccountBalances:
        self._refuse()
        raise AssertionError


def build_portfolio_service(
    config: AppConfig,
    paths: AppPaths,
    engine: Engine,
    credentials: Credentials | None,
    *,
    clock: Clock | None = None,
    account: AccountSource | None = None,
    market: MarketGateway | None = None,
) -> PortfolioService:
    """Kraken (or the sandbox at ``exchange.rest_url``) for history, pair names (AssetPairs)
    and prices at past events (OHLC); live cache then REST for current prices. ``account`` and
    ``market`` replace the Kraken adapters of those ports (the pipeline's resources pass theirs).
    """
    clock = clock or SystemClock()
    client = build_rest_client(config, paths, credentials, clock=clock)
    # KrakenAccountSource reads AssetPairs for the pair → (base, quote) map itself.
    account = account or (KrakenAccountSource(client) if credentials else NoAccount())
    market_data = build_market_data_api(
        config, paths, engine, clock=clock, market=market or KrakenMarketGateway(client, clock)
    )
    return PortfolioService(
        config=config.portfolio,
        store=PortfolioStore(engine),
        account=account,
        prices=FirstAvailablePrice(market_data, KrakenTickerPrices(client)),
        clock=clock,
        history=KrakenHistoricalPrices(client, clock),
    )
