"""The control plane's JSON shapes of the portfolio (contract Phase 6 §4.2).

Money is a decimal *string* with every significant digit and no trailing zeros
(``model.precision.decimal_text``); times are ISO 8601 UTC with a ``Z``. The CLI's ``--json`` and
the API print exactly these.
"""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from krakked_core.model.precision import decimal_text
from krakked_core.portfolio.models import (
    CashFlowRecord,
    EquityView,
    PnLSummary,
    PortfolioSnapshot,
    Position,
    RealizedPnLRecord,
    SyncSummary,
)


def money(value: Decimal | None) -> str | None:
    return None if value is None else decimal_text(value)


def timestamp(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def summary_json(
    equity: EquityView, pnl: PnLSummary, last: PortfolioSnapshot | None
) -> dict[str, Any]:
    """Phase 6 §4.2 keys, plus ``complete`` and ``unvalued_assets`` (equity leaves those out);
    PnL as ``get_pnl_summary()`` gives it (honours ``track_manual_trades``), equity and cash
    from the balances."""
    return {
        "equity_usd": money(equity.equity_base),
        "cash_usd": money(equity.cash_base),
        "realized_pnl_usd": money(pnl.realized_total),
        "unrealized_pnl_usd": money(pnl.unrealized_total),
        "drift_flag": equity.drift_flag,
        "last_snapshot_ts": timestamp(last.timestamp) if last else None,
        "complete": equity.complete,
        "unvalued_assets": list(equity.unvalued_assets),
    }


def completeness_text(snapshot: PortfolioSnapshot | None) -> str:
    """Say whether a snapshot valued every holding, and what it could not value and why."""
    if snapshot is None:
        return "no snapshot taken yet"
    unvalued = [
        f"{v.asset} ({v.unvalued_reason or 'no price'})"
        for v in snapshot.asset_valuations
        if v.unvalued
    ]
    if not unvalued:
        return f"snapshot {snapshot.id} valued every holding"
    return (
        f"snapshot {snapshot.id} is partial (its equity leaves out what has no price, so it is "
        f"not equity history); unvalued: {'; '.join(unvalued)}"
    )


def position_json(position: Position) -> dict[str, Any]:
    return {
        "pair": position.pair,
        "base_asset": position.base_asset,
        "base_size": money(position.base_size),
        "avg_entry_price": money(position.avg_entry_price),
        "current_price": money(position.current_price),
        "value_usd": money(position.current_value_base),
        "unrealized_pnl_usd": money(position.unrealized_pnl_base),
        "strategy_tag": position.strategy_tag,
    }


def trade_json(record: RealizedPnLRecord) -> dict[str, Any]:
    return {
        "trade_id": record.trade_id,
        "order_id": record.order_id,
        "pair": record.pair,
        "time": timestamp(record.time),
        "side": record.side,
        "price": money(record.price),
        "base_delta": money(record.base_delta),
        "quote_delta": money(record.quote_delta),
        "fee_asset": record.fee_asset,
        "fee_amount": money(record.fee_amount),
        "fee_usd": money(record.fee_usd),
        "realized_pnl_usd": money(record.pnl_quote),
        "strategy_tag": record.strategy_tag,
    }


def cash_flow_json(record: CashFlowRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "time": timestamp(record.time),
        "asset": record.asset,
        "amount": money(record.amount),
        "fee": money(record.fee),
        "type": record.type,
        "note": record.note,
        "value_usd": money(record.value_usd),
    }


def sync_json(summary: SyncSummary) -> dict[str, Any]:
    return {
        "new_trades": summary.new_trades,
        "new_ledger_entries": summary.new_ledger_entries,
        "new_cash_flows": summary.new_cash_flows,
        "new_orders": summary.new_orders,
        "updated_pairs": list(summary.updated_pairs),
        "drift_detected": summary.drift_detected,
        "drift_assets": list(summary.drift_assets),
        "rebuilt": summary.rebuilt,
    }
