"""The control plane's JSON shapes of decisions and risk (contract Phase 4 §7, Phase 6 §4.3–4.4).

Money and percentages are decimal strings (``model.precision.decimal_text``), times ISO 8601
UTC with a ``Z``, as in ``portfolio.views``. The CLI's ``--json`` and the API print exactly these.
"""

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from krakked_core.control_state import KillSwitchState
from krakked_core.model.decisions import ExecutionPlan, RiskAdjustedAction, RiskStatus
from krakked_core.portfolio.views import money, timestamp
from krakked_core.strategy.decision_store import DecisionRecord
from krakked_core.strategy.strategy_state import StrategyState


def kill_switch_json(state: KillSwitchState) -> dict[str, Any]:
    return {
        "active": state.active,
        "reason": state.reason,
        "source": state.source,
        "changed_at": timestamp(state.changed_at),
    }


def action_json(action: RiskAdjustedAction) -> dict[str, Any]:
    return {
        "pair": action.pair,
        "strategy_id": action.strategy_id,
        "action_type": action.action_type,
        "target_base_size": money(action.target_base_size),
        "target_notional_usd": money(action.target_notional_usd),
        "current_base_size": money(action.current_base_size),
        "blocked": action.blocked,
        "clamped": action.clamped,
        "blocked_reasons": list(action.blocked_reasons),
        "reason": action.reason,
    }


def risk_status_json(status: RiskStatus) -> dict[str, Any]:
    return {
        "kill_switch_active": status.kill_switch_active,
        "kill_switch_reasons": list(status.kill_switch_reasons),
        "daily_drawdown_pct": money(status.daily_drawdown_pct),
        "drift_flag": status.drift_flag,
        "total_exposure_pct": money(status.total_exposure_pct),
        "per_asset_exposure_pct": _percentages(status.per_asset_exposure_pct),
        "per_strategy_exposure_pct": _percentages(status.per_strategy_exposure_pct),
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


def _percentages(values: Mapping[str, Decimal]) -> dict[str, str | None]:
    return {key: money(value) for key, value in sorted(values.items())}


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
