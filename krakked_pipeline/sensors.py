"""``candle_close_sensor``: one ``strategy_cycle_job`` run per closed candle.

The logic is ``krakked_core.strategy.candle_close``; here only the cursor and the run requests.
``run_key`` = ``"<timeframe>:<close epoch>"``: Dagster never starts a second run for a key, so
a candle gets one cycle even when a restarted daemon has lost the cursor.
"""

import dagster as dg

from krakked_core.strategy.candle_close import CycleRequest, check_candle_closes, parse_cursor
from krakked_pipeline.jobs import strategy_cycle_job
from krakked_pipeline.resources import StrategyEngine

# The daemon evaluates sensors about every 5 s (DAGSTER.md): 4 keeps it at that pace.
SENSOR_INTERVAL_SECONDS = 4


@dg.sensor(
    job=strategy_cycle_job,
    minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Start a decision cycle when a candle some enabled strategy uses has closed.",
)
def candle_close_sensor(
    context: dg.SensorEvaluationContext, strategy_engine: StrategyEngine
) -> dg.SensorResult | dg.SkipReason:
    due = check_candle_closes(
        strategy_engine.clock.clock().now(),
        parse_cursor(context.cursor),
        config=strategy_engine.settings.app_config(),
        market=strategy_engine.market(),
    )
    if not due.requests:
        context.update_cursor(due.cursor_text())
        return dg.SkipReason("; ".join(due.waiting) or "no candle has closed since the last cycle")
    requests = [
        dg.RunRequest(
            run_key=request.run_key,
            run_config={"ops": {"observe_world": {"config": cycle_config(request)}}},
            tags={
                "krakked/timeframe": request.timeframe,
                "krakked/close_ts": str(request.close_ts),
            },
        )
        for request in due.requests
    ]
    return dg.SensorResult(run_requests=requests, cursor=due.cursor_text())


def cycle_config(request: CycleRequest) -> dict[str, object]:
    return {"timeframe": request.timeframe, "close_ts": request.close_ts}
