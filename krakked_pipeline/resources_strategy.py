"""Resources of the decision cycle: the clock it runs on and the ``StrategyRiskEngine``."""

from datetime import UTC, datetime

import dagster as dg
from pydantic import PrivateAttr

from krakked_core.clock import Clock, ManualClock, PinnedClock, SystemClock
from krakked_core.market_data.api import MarketDataAPI, build_market_data_api
from krakked_core.strategy.cycle import compose_engine
from krakked_core.strategy.engine import StrategyRiskEngine
from krakked_pipeline.resources import AppDatabase, KrakenRest, KrakkedSettings
from krakked_pipeline.resources_portfolio import run_credentials


class CycleClock(dg.ConfigurableResource):  # type: ignore[type-arg]
    """The clock sensors and cycles read: the system's, or one set to ``fixed_now`` (ISO) that
    stands still, or (``running``) runs on from it like a sandbox exchange pinned to that time.
    """

    fixed_now: str | None = None
    running: bool = False

    def clock(self) -> Clock:
        if self.fixed_now is None:
            return SystemClock()
        start = datetime.fromisoformat(self.fixed_now).astimezone(UTC)
        return PinnedClock(start) if self.running else ManualClock(start)


class StrategyEngine(dg.ConfigurableResource):  # type: ignore[type-arg]
    """Market data, portfolio and the engine, all on the cycle clock (one engine per run)."""

    settings: KrakkedSettings
    database: AppDatabase
    rest: KrakenRest
    clock: CycleClock
    _engine: StrategyRiskEngine | None = PrivateAttr(default=None)

    def market(self) -> MarketDataAPI:
        """Market data on the cycle clock (the candle-close sensor reads it every tick)."""
        return build_market_data_api(
            self.settings.app_config(),
            self.settings.paths(),
            self.database.engine(),
            clock=self.clock.clock(),
            client=self.rest.client(),
            show_progress=False,
        )

    def engine(self) -> StrategyRiskEngine:
        if self._engine is None:
            self._engine = compose_engine(
                self.settings.app_config(),
                self.settings.paths(),
                self.database.engine(),
                run_credentials(self.settings),
                clock=self.clock.clock(),
            )
        return self._engine


def build_strategy_resources(
    resources: dict[str, dg.ConfigurableResource],  # type: ignore[type-arg]
    clock: CycleClock | None = None,
) -> dict[str, dg.ConfigurableResource]:  # type: ignore[type-arg]
    """Add ``cycle_clock`` and ``strategy_engine`` to a resource set from ``build_resources``."""
    settings, database, rest = (
        resources["settings"],
        resources["database"],
        resources["kraken_rest"],
    )
    assert isinstance(settings, KrakkedSettings) and isinstance(database, AppDatabase)
    assert isinstance(rest, KrakenRest)
    clock = clock or CycleClock()
    engine = StrategyEngine(settings=settings, database=database, rest=rest, clock=clock)
    return {**resources, "cycle_clock": clock, "strategy_engine": engine}
