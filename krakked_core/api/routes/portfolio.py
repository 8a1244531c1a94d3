"""``/api/portfolio``: summary, positions, exposure, trades, equity history, snapshots."""

from fastapi import APIRouter

from krakked_core.api.deps import Caller, Control, Limit, Since
from krakked_core.api.render import exposure_json, snapshot_json
from krakked_core.api.schemas import (
    Envelope,
    ExposureOut,
    PortfolioSummaryOut,
    PositionOut,
    SnapshotOut,
    TradeOut,
)
from krakked_core.portfolio.views import position_json, summary_json, trade_json

router = APIRouter(prefix="/portfolio", tags=["portfolio"])


@router.get("/summary", response_model=Envelope[PortfolioSummaryOut])
def summary(control: Control) -> dict[str, object]:
    s = control.portfolio_summary()
    return {"data": summary_json(s.equity, s.pnl, s.last_snapshot)}


@router.get("/positions", response_model=Envelope[list[PositionOut]])
def positions(control: Control) -> dict[str, object]:
    return {"data": [position_json(p) for p in control.positions()]}


@router.get("/exposure", response_model=Envelope[ExposureOut])
def exposure(control: Control) -> dict[str, object]:
    return {"data": exposure_json(control.exposure())}


@router.get("/trades", response_model=Envelope[list[TradeOut]])
def trades(
    control: Control,
    since: Since,
    pair: str | None = None,
    strategy_id: str | None = None,
    limit: Limit = 100,
) -> dict[str, object]:
    records = control.trades(pair=pair, limit=limit, since=since, strategy_id=strategy_id)
    return {"data": [trade_json(r) for r in records]}


@router.get("/equity_history", response_model=Envelope[list[SnapshotOut]])
def equity_history(control: Control, since: Since, limit: Limit = 500) -> dict[str, object]:
    """Complete snapshots, oldest first (for charts)."""
    return {"data": [snapshot_json(s) for s in control.equity_history(since=since, limit=limit)]}


@router.post("/snapshot", response_model=Envelope[SnapshotOut])
def snapshot(control: Control, caller: Caller) -> dict[str, object]:
    return {"data": snapshot_json(control.create_snapshot(caller))}
