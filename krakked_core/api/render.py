"""Domain values → the JSON of ``schemas``: the CLI's views where they exist, the rest here."""

from typing import Any

from krakked_core.control.audit import AuditEntry
from krakked_core.control.execution_port import OrderView, ResultView
from krakked_core.control.views import Decision, Exposure, Health, SectionSettings
from krakked_core.model.decisions import StrategyIntent
from krakked_core.portfolio.models import PortfolioSnapshot
from krakked_core.portfolio.views import money, timestamp
from krakked_core.risk.views import action_json
from krakked_core.strategy.decision_views import decision_json


def exposure_json(exposure: Exposure) -> dict[str, Any]:
    return {
        "by_asset": [
            {
                "asset": s.key,
                "value_usd": money(s.value_usd),
                "pct_of_equity": money(s.pct_of_equity),
            }
            for s in exposure.by_asset
        ],
        "by_strategy": [
            {
                "strategy_id": s.key,
                "value_usd": money(s.value_usd),
                "pct_of_equity": money(s.pct_of_equity),
            }
            for s in exposure.by_strategy
        ],
    }


def snapshot_json(snapshot: PortfolioSnapshot) -> dict[str, Any]:
    return {
        "id": snapshot.id,
        "timestamp": timestamp(snapshot.timestamp),
        "equity_usd": money(snapshot.equity_base),
        "cash_usd": money(snapshot.cash_base),
        "realized_pnl_usd": money(snapshot.realized_pnl_base_total),
        "unrealized_pnl_usd": money(snapshot.unrealized_pnl_base_total),
        "drift_flag": snapshot.drift_flag,
        "complete": snapshot.complete,
        "unvalued_assets": list(snapshot.unvalued_assets),
    }


def intent_json(intent: StrategyIntent) -> dict[str, Any]:
    return {
        "strategy_id": intent.strategy_id,
        "pair": intent.pair,
        "side": intent.side,
        "intent_type": intent.intent_type,
        "desired_exposure_usd": money(intent.desired_exposure_usd),
        "confidence": intent.confidence,
        "timeframe": intent.timeframe,
        "generated_at": timestamp(intent.generated_at),
    }


def full_decision_json(decision: Decision) -> dict[str, Any]:
    return {
        **decision_json(decision.record),
        "intents": [intent_json(i) for i in decision.plan.intents],
        "actions": [action_json(a) for a in decision.plan.actions],
    }


def audit_json(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": timestamp(entry.at),
        "action": entry.action,
        "params": dict(entry.params),
        "source": entry.source,
        "client": entry.client,
        "outcome": entry.outcome,
        "detail": entry.detail,
    }


def section_json(settings: SectionSettings, **extra: Any) -> dict[str, Any]:
    return {**settings.values, **extra, "overridden": list(settings.overridden)}


def health_json(health: Health) -> dict[str, Any]:
    return {
        **{f"{c.name}_ok": c.ok for c in health.components},
        "mode": health.mode,
        "components": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in health.components],
        "version": health.version,
        "schema_revisions": list(health.schema_revisions),
        "started_at": timestamp(health.started_at),
    }


def order_json(order: OrderView) -> dict[str, Any]:
    return {
        "local_id": order.local_id,
        "plan_id": order.plan_id,
        "strategy_id": order.strategy_id,
        "pair": order.pair,
        "side": order.side,
        "order_type": order.order_type,
        "kraken_order_id": order.kraken_order_id,
        "requested_base_size": money(order.requested_volume),
        "requested_price": money(order.requested_price),
        "status": str(order.status),
        "cumulative_base_filled": money(order.filled_volume),
        "avg_fill_price": money(order.avg_fill_price),
        "created_at": timestamp(order.created_at),
        "updated_at": timestamp(order.updated_at),
    }


def execution_json(result: ResultView) -> dict[str, Any]:
    return {
        "plan_id": result.plan_id,
        "mode": result.mode,
        "started_at": timestamp(result.started_at),
        "completed_at": timestamp(result.completed_at),
        "success": result.success,
        "errors": list(result.errors),
        "orders": [order_json(o) for o in result.orders],
    }
