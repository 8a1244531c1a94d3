"""API records → tables for ``st.dataframe`` (money stays the API's decimal text)."""

from collections.abc import Sequence

import pandas as pd

from krakked_core.api.schemas import ExecutionOut, OrderOut, PositionOut, TradeOut


def trades_frame(trades: Sequence[TradeOut]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "time": t.time,
                "pair": t.pair,
                "side": t.side,
                "size": t.base_delta,
                "price": t.price,
                "fee": f"{t.fee_amount} {t.fee_asset}",
                "fee_usd": t.fee_usd,
                "realized_pnl_usd": t.realized_pnl_usd,
                "strategy": t.strategy_tag,
            }
            for t in trades
        ],
        columns=[
            "time",
            "pair",
            "side",
            "size",
            "price",
            "fee",
            "fee_usd",
            "realized_pnl_usd",
            "strategy",
        ],
    )


def positions_frame(positions: Sequence[PositionOut]) -> pd.DataFrame:
    return pd.DataFrame([p.model_dump() for p in positions], columns=list(PositionOut.model_fields))


def orders_frame(orders: Sequence[OrderOut]) -> pd.DataFrame:
    return pd.DataFrame([o.model_dump() for o in orders], columns=list(OrderOut.model_fields))


def executions_frame(executions: Sequence[ExecutionOut]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "plan_id": e.plan_id,
                "mode": e.mode,
                "started_at": e.started_at,
                "completed_at": e.completed_at,
                "orders": len(e.orders),
                "success": e.success,
                "errors": "; ".join(e.errors),
            }
            for e in executions
        ],
        columns=["plan_id", "mode", "started_at", "completed_at", "orders", "success", "errors"],
    )
