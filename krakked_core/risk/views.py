"""The control plane's JSON shapes of risk decisions (contract Phase 4 §7, Phase 6 §4.3).

Money and percentages are decimal strings, times ISO 8601 UTC with a ``Z``, as in
``portfolio.views``; ``strategy.decision_views`` builds the plans and decisions around them.
"""

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from krakked_core.model.decisions import RiskAdjustedAction, RiskStatus
from krakked_core.portfolio.views import money


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


def _percentages(values: Mapping[str, Decimal]) -> dict[str, str | None]:
    return {key: money(value) for key, value in sorted(values.items())}
