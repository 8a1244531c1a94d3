"""Every job of the code location: what each run does. Schedules and sensors start them.

- ``universe_refresh_job`` and one ``ohlc_<tf>_tail_job`` per timeframe: market data assets;
- ``portfolio_sync_job``: the portfolio sync + snapshot;
- ``strategy_cycle_job``: one decision cycle per closed candle (ops in cycle_ops.py).
"""

import dagster as dg

from krakked_core.dagster_home import OHLC_TAIL_TAG
from krakked_pipeline.assets.ohlc import OHLC_ASSETS, ohlc_asset_name
from krakked_pipeline.assets.portfolio import portfolio_snapshot
from krakked_pipeline.assets.universe import pair_universe
from krakked_pipeline.cycle_ops import (
    apply_risk,
    generate_intents,
    observe_world,
    persist_plan,
    sync_portfolio,
)

TAIL_MAX_RUNTIME_SECONDS = 1800

universe_refresh_job = dg.define_asset_job(
    "universe_refresh_job",
    selection=dg.AssetSelection.assets(pair_universe),
    executor_def=dg.in_process_executor,
)

OHLC_TAIL_JOBS = {
    timeframe: dg.define_asset_job(
        f"{ohlc_asset_name(timeframe)}_tail_job",
        selection=dg.AssetSelection.assets(asset),
        executor_def=dg.in_process_executor,
        # Run monitoring fails a tail run still going after this long (a dead worker's run).
        tags={OHLC_TAIL_TAG: timeframe, "dagster/max_runtime": str(TAIL_MAX_RUNTIME_SECONDS)},
    )
    for timeframe, asset in OHLC_ASSETS.items()
}

portfolio_sync_job = dg.define_asset_job(
    "portfolio_sync_job",
    selection=dg.AssetSelection.assets(portfolio_snapshot),
    executor_def=dg.in_process_executor,
)


@dg.job(
    executor_def=dg.in_process_executor,
    description="One decision cycle for one closed candle (started by candle_close_sensor).",
)
def strategy_cycle_job() -> None:
    world = observe_world(sync_portfolio())
    persist_plan(apply_risk(world, generate_intents(world)))
