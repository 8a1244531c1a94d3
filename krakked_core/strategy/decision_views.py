"""The control plane's JSON shapes of decisions and risk (contract Phase 4 §7, Phase 6 §4.3–4.4).

Money and percentages are decimal strings (``model.precision.decimal_text``), times ISO 8601
UTC with a ``Z``, as in ``portfolio.views``. The CLI's ``--json`` and the API print exactly these.
"""

from typing import Any

from krakked_core.control_state import KillSwitchState
from krakked_core.model.decisions import ExecutionPlan
from krakked_core.portfolio.views import money, timestamp
from krakked_core.risk.views import action_json
from krakked_core.strategy.decision_store import DecisionRecord
from krakked_core.strategy.strategy_state import StrategyState


def kill_switch_json(state: KillSwitchState) -> dict[str, Any]:
    return {
        "active": state.active,
        "reason": state.reason,
        "source": state.source,
        "changed_at": timestamp(state.changed_at),
    }


def plan_json(plan: ExecutionPlan) -> dict[str, Any]:
    return {
        "plan_id": plan.plan_id,
        "generated_at": timestamp(plan.generated_at),
        "timeframe": plan.timeframe,
        "intents_count": len(plan.intents),
        "actions_count": len(plan.actions),
        "blocked_count": plan.blocked_count,
        "actions": [action_json(a) for a in plan.actions],
        "metadata": dict(plan.metadata),
    }


def decision_json(record: DecisionRecord) -> dict[str, Any]:
    return {
        "plan_id": record.plan_id,
        "time": timestamp(record.at),
        "timeframe": record.timeframe,
        "strategy_intents_count": record.intents_count,
        "actions_count": record.actions_count,
        "blocked_actions_count": record.blocked_count,
        "kill_switch_active": record.kill_switch_active,
        "kill_switch_reasons": list(record.kill_switch_reasons),
        "notes": record.notes,
    }


def strategy_state_json(state: StrategyState) -> dict[str, Any]:
    """Phase 6 §4.4's strategy list entry."""
    return {
        "id": state.strategy_id,
        "type": state.type,
        "enabled": state.enabled,
        "userref": state.userref,
        "timeframes": list(state.timeframes),
        "max_positions": state.max_positions,
        "current_positions": len(state.current_positions),
        "pnl_summary": {
            "realized_usd": money(state.realized_pnl_usd),
            "unrealized_usd": money(state.unrealized_pnl_usd),
        },
        "last_intents_at": timestamp(state.last_intents_at),
        "last_actions_at": timestamp(state.last_actions_at),
    }
