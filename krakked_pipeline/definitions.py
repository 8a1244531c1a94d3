"""The table of contents of the Dagster code location: every asset, check, job, schedule, sensor.

Read it top-down: an asset here → its module in ``assets/`` → the krakked_core function it calls.
The config is loaded once at load time (``app_config.py``: schedules take their cron strings
and the OHLC partitions their first day from it).
"""

import dagster as dg

from krakked_pipeline.app_config import CONFIG
from krakked_pipeline.assets.ohlc import OHLC_ASSETS
from krakked_pipeline.assets.portfolio import PORTFOLIO_ASSETS, PORTFOLIO_CHECKS
from krakked_pipeline.assets.universe import pair_universe
from krakked_pipeline.checks import OHLC_CHECKS, build_freshness_checks, build_freshness_sensor
from krakked_pipeline.cycle_ops import decisions
from krakked_pipeline.jobs import OHLC_TAIL_JOBS, portfolio_sync_job, universe_refresh_job
from krakked_pipeline.maintenance_ops import backup_job
from krakked_pipeline.resources import build_resources
from krakked_pipeline.schedules import build_schedules
from krakked_pipeline.sensors import candle_close_sensor

OHLC_FRESHNESS_CHECKS = build_freshness_checks(CONFIG)  # checks.py: warns when tails stall

defs = dg.Definitions(
    assets=[
        pair_universe,  # assets/universe.py: the USD spot universe
        *OHLC_ASSETS.values(),  # assets/ohlc.py: closed candles, daily partitions per timeframe
        *PORTFOLIO_ASSETS,  # assets/portfolio.py: sync + snapshot
        decisions,  # cycle_ops.py: observed by every decision cycle (OHLC + portfolio → decisions)
    ],
    asset_checks=[
        *(check for checks in OHLC_CHECKS.values() for check in checks),  # checks.py
        *OHLC_FRESHNESS_CHECKS,
        *PORTFOLIO_CHECKS,  # fail on reconciliation drift, a partial snapshot
    ],
    jobs=[
        *[universe_refresh_job, *OHLC_TAIL_JOBS.values(), portfolio_sync_job],  # jobs.py
        backup_job,  # maintenance_ops.py: the app DB's daily backup
    ],
    schedules=build_schedules(CONFIG),  # schedules.py: universe, OHLC tails, sync, backup
    sensors=[
        build_freshness_sensor(OHLC_FRESHNESS_CHECKS),  # checks.py: evaluates freshness
        candle_close_sensor,  # sensors.py: strategy_cycle_job (jobs.py) once per closed candle
    ],
    resources=build_resources(),
)
