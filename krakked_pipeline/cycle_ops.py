"""The ops of ``strategy_cycle_job`` (jobs.py): one decision cycle, each op one engine call.

sync portfolio → check data status and kill switch → generate intents → risk → persist plan.
The plan's counts and blocked reasons are the last op's metadata, and each plan is an
observation of the ``decisions`` asset, so the lineage reads OHLC + portfolio → decisions.
"""

from collections import Counter
from datetime import UTC, datetime

import dagster as dg
from pydantic import field_validator

from krakked_core.model.decisions import ExecutionPlan, RiskStatus, StrategyIntent
from krakked_core.model.market import TIMEFRAMES, parse_timeframe
from krakked_core.strategy.cycle_inputs import WorldView
from krakked_pipeline.assets.ohlc import ohlc_asset_name
from krakked_pipeline.assets.portfolio import portfolio_snapshot
from krakked_pipeline.resources import StrategyEngine

decisions = dg.AssetSpec(
    "decisions",
    deps=[*(ohlc_asset_name(tf) for tf in TIMEFRAMES), portfolio_snapshot],
    group_name="strategy",
    description="Each decision cycle's plan (the decisions tables); observed by every cycle.",
)


class CycleConfig(dg.Config):
    """The candle a run decides on: its timeframe and close (epoch seconds)."""

    timeframe: str  # Dagster run config takes plain strings; checked into a Timeframe below
    close_ts: int

    @field_validator("timeframe")
    @classmethod
    def _known_timeframe(cls, value: str) -> str:
        return parse_timeframe(value)


@dg.op
def sync_portfolio(strategy_engine: StrategyEngine) -> str | None:
    """Sync the books; return why it failed (the cycle then opens nothing)."""
    return strategy_engine.engine().sync()


@dg.op
def observe_world(
    config: CycleConfig, sync_error: str | None, strategy_engine: StrategyEngine
) -> WorldView:
    """Read data status, kill switch, equity and universes for the candle."""
    now = datetime.fromtimestamp(config.close_ts, UTC)
    return strategy_engine.engine().observe(
        now, parse_timeframe(config.timeframe), sync_error=sync_error
    )


@dg.op
def generate_intents(world: WorldView, strategy_engine: StrategyEngine) -> list[StrategyIntent]:
    return list(strategy_engine.engine().generate(world))


@dg.op
def apply_risk(
    world: WorldView, intents: list[StrategyIntent], strategy_engine: StrategyEngine
) -> tuple[ExecutionPlan, RiskStatus]:
    return strategy_engine.engine().assess(world, tuple(intents))


@dg.op
def persist_plan(
    context: dg.OpExecutionContext,
    assessed: tuple[ExecutionPlan, RiskStatus],
    strategy_engine: StrategyEngine,
) -> str:
    """Store the plan; report its counts and blocked reasons; observe ``decisions``."""
    plan, status = assessed
    strategy_engine.engine().record(plan, status)
    metadata = plan_metadata(plan, status)
    context.add_output_metadata(metadata)
    context.log_event(dg.AssetObservation(asset_key=decisions.key, metadata=metadata))
    return plan.plan_id


def plan_metadata(plan: ExecutionPlan, status: RiskStatus) -> dict[str, dg.MetadataValue]:
    reasons = Counter(code for action in plan.actions for code in action.blocked_reasons)
    return {
        "plan_id": dg.MetadataValue.text(plan.plan_id),
        "timeframe": dg.MetadataValue.text(plan.timeframe),
        "intents": dg.MetadataValue.int(len(plan.intents)),
        "actions": dg.MetadataValue.int(len(plan.actions)),
        "opening_actions": dg.MetadataValue.int(len(plan.opening_actions)),
        "blocked": dg.MetadataValue.int(plan.blocked_count),
        "blocked_reasons": dg.MetadataValue.json(dict(sorted(reasons.items()))),
        "kill_switch_active": dg.MetadataValue.bool(status.kill_switch_active),
        "notes": dg.MetadataValue.json(list(plan.metadata.get("notes", ()))),
    }
