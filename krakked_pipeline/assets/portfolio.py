"""``portfolio_snapshot``: sync the books with the exchange, then store one snapshot.

The checks fail (severity ERROR) while the books and the exchange disagree, when the books were
never synced or their balances are stale (a sync failing silently is not "no drift"), and when
the latest snapshot is partial (a holding had no price, so its equity is short of the truth).
"""

import dagster as dg

from krakked_core.portfolio.views import completeness_text, money, timestamp
from krakked_pipeline.resources import Portfolio


@dg.asset(
    group_name="portfolio",
    kinds={"sqlalchemy"},
    description="Sync trades, ledger and balances from the exchange; one snapshot per run.",
)
def portfolio_snapshot(portfolio: Portfolio) -> dg.MaterializeResult:  # type: ignore[type-arg]
    service = portfolio.service()
    summary = service.sync()
    snapshot = service.create_snapshot()
    return dg.MaterializeResult(
        metadata={
            "snapshot_id": snapshot.id or 0,
            "equity_usd": money(snapshot.equity_base),
            "cash_usd": money(snapshot.cash_base),
            "realized_pnl_usd": money(snapshot.realized_pnl_base_total),
            "unrealized_pnl_usd": money(snapshot.unrealized_pnl_base_total),
            "drift_flag": snapshot.drift_flag,
            "complete": snapshot.complete,
            "unvalued_assets": dg.MetadataValue.json(list(snapshot.unvalued_assets)),
            "new_trades": summary.new_trades,
            "new_cash_flows": summary.new_cash_flows,
        }
    )


@dg.asset_check(asset=portfolio_snapshot, blocking=False)
def portfolio_reconciled(portfolio: Portfolio) -> dg.AssetCheckResult:
    """The books agree with the exchange's balances (no drift), and were synced recently."""
    equity = portfolio.service().get_equity()
    problems = []
    if equity.never_synced:
        problems.append("the portfolio was never synced: no balances to check")
    elif equity.stale:
        problems.append(f"balances are stale (as of {timestamp(equity.balances_as_of)})")
    if equity.drift_flag:
        problems.append(f"books and exchange disagree on {', '.join(equity.drift_assets)}")
    return dg.AssetCheckResult(
        passed=not problems,
        severity=dg.AssetCheckSeverity.ERROR,
        description="; ".join(problems) or "books match the exchange, synced recently",
        metadata={
            "never_synced": equity.never_synced,
            "stale": equity.stale,
            "drift_assets": dg.MetadataValue.json(list(equity.drift_assets)),
            "unvalued_assets": dg.MetadataValue.json(list(equity.unvalued_assets)),
        },
    )


@dg.asset_check(asset=portfolio_snapshot, blocking=False)
def portfolio_snapshot_complete(portfolio: Portfolio) -> dg.AssetCheckResult:
    """The latest snapshot valued every holding: a partial one is never equity history."""
    last = portfolio.service().latest_snapshot()
    return dg.AssetCheckResult(
        passed=last is not None and last.complete,
        severity=dg.AssetCheckSeverity.ERROR,
        description=completeness_text(last),
        metadata={
            "snapshot_id": (last.id or 0) if last else 0,
            "unvalued_assets": dg.MetadataValue.json(list(last.unvalued_assets) if last else []),
        },
    )


PORTFOLIO_ASSETS = [portfolio_snapshot]
PORTFOLIO_CHECKS = [portfolio_reconciled, portfolio_snapshot_complete]
