"""The table of contents of the Dagster code location: every asset, check, job, schedule, sensor.

Read it top-down: an asset here → its module in ``assets/`` → the krakked_core function it calls.
The config is loaded once at load time (schedules take their cron strings from it); a config
error fails the code location with the reason.
"""

import dagster as dg

from krakked_core.config import load_config
from krakked_pipeline.assets.ohlc import OHLC_ASSETS
from krakked_pipeline.assets.portfolio import PORTFOLIO_ASSETS, PORTFOLIO_CHECKS
from krakked_pipeline.assets.universe import pair_universe
from krakked_pipeline.checks import OHLC_CHECKS
from krakked_pipeline.resources import build_resources
from krakked_pipeline.resources_portfolio import portfolio_resource
from krakked_pipeline.schedules import OHLC_TAIL_JOBS, build_schedules, universe_refresh_job
from krakked_pipeline.schedules_portfolio import portfolio_sync_job, portfolio_sync_schedule

CONFIG = load_config()

# --- market data ------------------------------------------------------------------------------
MARKET_DATA_ASSETS = [pair_universe, *OHLC_ASSETS.values()]
MARKET_DATA_CHECKS = [check for checks in OHLC_CHECKS.values() for check in checks]
MARKET_DATA_JOBS = [universe_refresh_job, *OHLC_TAIL_JOBS.values()]
MARKET_DATA_SCHEDULES = build_schedules(CONFIG)

defs = dg.Definitions(
    assets=MARKET_DATA_ASSETS,
    asset_checks=MARKET_DATA_CHECKS,
    jobs=MARKET_DATA_JOBS,
    schedules=MARKET_DATA_SCHEDULES,
    resources=build_resources(),
)

# --- portfolio --------------------------------------------------------------------------------
defs = dg.Definitions.merge(
    defs,
    dg.Definitions(
        assets=PORTFOLIO_ASSETS,
        asset_checks=PORTFOLIO_CHECKS,
        jobs=[portfolio_sync_job],
        schedules=[portfolio_sync_schedule(CONFIG)],
        resources={"portfolio": portfolio_resource()},
    ),
)
