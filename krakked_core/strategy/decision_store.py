"""The decision log: every cycle's plan, with its intents and actions, in the app DB.

One cycle is written in one transaction (header, intents, actions), so a failed write leaves
nothing half-written. Money is exact (``DecimalText``); reasons and codes are kept as given,
so "why did (or didn't) it buy SOL at 14:00" is one query on ``decision_actions``.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Engine, RowMapping

from krakked_core.db.decision_tables import decision_actions, decision_intents, decisions
from krakked_core.model.decisions import (
    ExecutionPlan,
    RiskAdjustedAction,
    RiskStatus,
    StrategyIntent,
)
from krakked_core.model.market import Timeframe


@dataclass(frozen=True, slots=True)
class DecisionRecord:
    """One stored cycle's header (contract Phase 4 §8)."""

    plan_id: str
    at: datetime
    timeframe: Timeframe
    intents_count: int
    actions_count: int
    blocked_count: int
    kill_switch_active: bool
    kill_switch_reasons: tuple[str, ...]
    notes: str
    metadata: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class StrategyActivity:
    """When a strategy last produced an intent, and last had an action approved."""

    last_intents_at: datetime | None
    last_actions_at: datetime | None


class DecisionStore:
    """Write and read decision records."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def save(self, plan: ExecutionPlan, risk: RiskStatus, notes: str = "") -> DecisionRecord:
        """Store the plan, its intents and its actions in one transaction."""
        record = DecisionRecord(
            plan_id=plan.plan_id,
            at=plan.generated_at,
            timeframe=plan.timeframe,
            intents_count=len(plan.intents),
            actions_count=len(plan.actions),
            blocked_count=plan.blocked_count,
            kill_switch_active=risk.kill_switch_active,
            kill_switch_reasons=risk.kill_switch_reasons,
            notes=notes,
            metadata=plan.metadata,
        )
        with self._engine.begin() as conn:
            conn.execute(decisions.insert().values(**_record_row(record)))
            if plan.intents:
                rows = [_intent_row(plan.plan_id, i, x) for i, x in enumerate(plan.intents)]
                conn.execute(decision_intents.insert(), rows)
            if plan.actions:
                rows = [_action_row(plan.plan_id, i, x) for i, x in enumerate(plan.actions)]
                conn.execute(decision_actions.insert(), rows)
        return record

    def recent(self, limit: int = 20) -> list[DecisionRecord]:
        """The newest ``limit`` decision records, newest first."""
        query = sa.select(decisions).order_by(decisions.c.at.desc(), decisions.c.plan_id.desc())
        with self._engine.connect() as conn:
            return [_record(row) for row in conn.execute(query.limit(limit)).mappings()]

    def load_plan(self, plan_id: str) -> ExecutionPlan | None:
        """The stored plan with its intents and actions in their original order."""
        with self._engine.connect() as conn:
            head = conn.execute(decisions.select().where(decisions.c.plan_id == plan_id)).first()
            if head is None:
                return None
            intents = conn.execute(_children(decision_intents, plan_id)).mappings().all()
            actions = conn.execute(_children(decision_actions, plan_id)).mappings().all()
        return ExecutionPlan(
            plan_id=plan_id,
            generated_at=_utc(head.at),
            timeframe=head.timeframe,
            actions=tuple(_action(row) for row in actions),
            intents=tuple(_intent(row) for row in intents),
            metadata=json.loads(head.metadata),
        )

    def activity_by_strategy(self) -> dict[str, StrategyActivity]:
        """Per strategy id: the last cycle with one of its intents, and with an approved action.

        An aggregate action (ids joined by "+") counts for each of its strategies.
        """
        intents = (
            sa.select(decision_intents.c.strategy_id, sa.func.max(decisions.c.at))
            .join(decisions, decisions.c.plan_id == decision_intents.c.plan_id)
            .group_by(decision_intents.c.strategy_id)
        )
        actions = (
            sa.select(decision_actions.c.strategy_id, sa.func.max(decisions.c.at))
            .join(decisions, decisions.c.plan_id == decision_actions.c.plan_id)
            .where(decision_actions.c.blocked.is_(False), decision_actions.c.action_type != "none")
            .group_by(decision_actions.c.strategy_id)
        )
        with self._engine.connect() as conn:
            last_intent = {sid: _utc(at) for sid, at in conn.execute(intents)}
            last_action: dict[str, datetime] = {}
            for joined, at in conn.execute(actions):
                for sid in joined.split("+"):
                    if sid not in last_action or _utc(at) > last_action[sid]:
                        last_action[sid] = _utc(at)
        return {
            sid: StrategyActivity(last_intent.get(sid), last_action.get(sid))
            for sid in sorted({*last_intent, *last_action})
        }


# --- rows -----------------------------------------------------------------------------------


def _json(value: Any) -> str:
    # Metadata is free-form (indicator floats, Decimals, datetimes): anything else as text.
    return json.dumps(value, default=str, sort_keys=True)


def _utc(value: datetime) -> datetime:
    # SQLite hands DateTime back naive; only UTC is ever written, so naive means UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _children(table: sa.Table, plan_id: str) -> sa.Select[Any]:
    return sa.select(table).where(table.c.plan_id == plan_id).order_by(table.c.seq)


def _record_row(record: DecisionRecord) -> dict[str, Any]:
    return {
        "plan_id": record.plan_id,
        "at": record.at,
        "timeframe": record.timeframe,
        "intents_count": record.intents_count,
        "actions_count": record.actions_count,
        "blocked_count": record.blocked_count,
        "kill_switch_active": record.kill_switch_active,
        "kill_switch_reasons": _json(list(record.kill_switch_reasons)),
        "notes": record.notes,
        "metadata": _json(dict(record.metadata)),
    }


def _record(row: RowMapping) -> DecisionRecord:
    return DecisionRecord(
        plan_id=row["plan_id"],
        at=_utc(row["at"]),
        timeframe=row["timeframe"],
        intents_count=row["intents_count"],
        actions_count=row["actions_count"],
        blocked_count=row["blocked_count"],
        kill_switch_active=bool(row["kill_switch_active"]),
        kill_switch_reasons=tuple(json.loads(row["kill_switch_reasons"])),
        notes=row["notes"],
        metadata=json.loads(row["metadata"]),
    )


def _intent_row(plan_id: str, seq: int, intent: StrategyIntent) -> dict[str, Any]:
    return {
        "plan_id": plan_id,
        "seq": seq,
        "strategy_id": intent.strategy_id,
        "pair": intent.pair,
        "side": intent.side,
        "intent_type": intent.intent_type,
        "desired_exposure_usd": intent.desired_exposure_usd,
        "confidence": intent.confidence,
        "timeframe": intent.timeframe,
        "generated_at": intent.generated_at,
        "metadata": _json(dict(intent.metadata)),
    }


def _intent(row: RowMapping) -> StrategyIntent:
    return StrategyIntent(
        strategy_id=row["strategy_id"],
        pair=row["pair"],
        side=row["side"],
        intent_type=row["intent_type"],
        desired_exposure_usd=row["desired_exposure_usd"],
        confidence=row["confidence"],
        timeframe=row["timeframe"],
        generated_at=_utc(row["generated_at"]),
        metadata=json.loads(row["metadata"]),
    )


def _action_row(plan_id: str, seq: int, action: RiskAdjustedAction) -> dict[str, Any]:
    return {
        "plan_id": plan_id,
        "seq": seq,
        "pair": action.pair,
        "strategy_id": action.strategy_id,
        "action_type": action.action_type,
        "target_base_size": action.target_base_size,
        "target_notional_usd": action.target_notional_usd,
        "current_base_size": action.current_base_size,
        "blocked": action.blocked,
        "clamped": action.clamped,
        "blocked_reasons": _json(list(action.blocked_reasons)),
        "reason": action.reason,
        "risk_limits_snapshot": _json(dict(action.risk_limits_snapshot)),
    }


def _action(row: RowMapping) -> RiskAdjustedAction:
    money: dict[str, Decimal] = {
        key: row[key] for key in ("target_base_size", "target_notional_usd", "current_base_size")
    }
    return RiskAdjustedAction(
        pair=row["pair"],
        strategy_id=row["strategy_id"],
        action_type=row["action_type"],
        reason=row["reason"],
        blocked=bool(row["blocked"]),
        clamped=bool(row["clamped"]),
        blocked_reasons=tuple(json.loads(row["blocked_reasons"])),
        risk_limits_snapshot=json.loads(row["risk_limits_snapshot"]),
        **money,
    )
