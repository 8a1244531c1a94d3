"""`krakked portfolio sync|summary|positions|trades|cash-flows [--json]`."""

from decimal import Decimal

import typer

from krakked_core.cli.common import Runtime, exit_on_error, print_json, runtime
from krakked_core.db import check_schema
from krakked_core.portfolio.compose import build_portfolio_service
from krakked_core.portfolio.service import PortfolioService
from krakked_core.portfolio.views import (
    cash_flow_json,
    money,
    position_json,
    summary_json,
    sync_json,
    timestamp,
    trade_json,
)

portfolio_app = typer.Typer(help="Balances, positions, PnL and cash flows.", no_args_is_help=True)

_JSON = typer.Option(False, "--json", help="Print JSON (money as decimal strings).")


def _service(rt: Runtime, *, with_credentials: bool = False) -> PortfolioService:
    check_schema(rt.engine)  # DatabaseVersionError says to run `krakked db upgrade`
    credentials = None
    if with_credentials:
        credentials = rt.credentials()
    return build_portfolio_service(rt.config, rt.paths, rt.engine, credentials)


@portfolio_app.command("sync")
def sync_cmd(as_json: bool = _JSON) -> None:
    """Pull new trades, ledger entries and balances from the exchange; reconcile."""
    rt = runtime()
    with exit_on_error():
        summary = _service(rt, with_credentials=True).sync()
    if as_json:
        print_json(sync_json(summary))
        return
    typer.echo(
        f"{summary.new_trades} new trades, {summary.new_cash_flows} new cash flows, "
        f"{summary.new_ledger_entries} new ledger entries"
    )
    if summary.drift_detected:
        typer.echo(f"DRIFT: books and exchange disagree on {', '.join(summary.drift_assets)}")


@portfolio_app.command("summary")
def summary_cmd(as_json: bool = _JSON) -> None:
    """Equity, cash, realized and unrealized PnL, drift."""
    rt = runtime()
    with exit_on_error():
        service = _service(rt)
        equity = service.get_equity()
        pnl = service.get_pnl_summary()
        data = summary_json(equity, pnl, service.latest_snapshot())
    if as_json:
        print_json(data)
        return
    for key, value in data.items():
        typer.echo(f"{key:20} {value}")
    if equity.never_synced:
        typer.echo("NEVER SYNCED: run `krakked portfolio sync`; these zeros mean nothing yet")
    elif equity.stale:
        typer.echo(f"STALE: balances as of {timestamp(equity.balances_as_of)}")
    if equity.unvalued_assets:
        typer.echo(f"unvalued (not in equity): {', '.join(equity.unvalued_assets)}")
    _echo_excluded(pnl.realized_excluded)


def _echo_excluded(excluded: dict[str, Decimal]) -> None:
    if excluded:
        parts = ", ".join(f"{asset} {money(value)}" for asset, value in excluded.items())
        typer.echo(f"sold with no cost basis (USD proceeds, not in realized PnL): {parts}")


@portfolio_app.command("positions")
def positions_cmd(as_json: bool = _JSON) -> None:
    """Open positions at current prices."""
    rt = runtime()
    with exit_on_error():
        service = _service(rt)
        positions = service.get_positions()
        excluded = service.get_pnl_summary(include_manual=True).realized_excluded
    rows = [position_json(p) for p in positions]
    if as_json:
        print_json(rows)
        return
    for row in rows:
        typer.echo(
            f"{row['pair']:10} {row['base_size']:>18} @ {row['avg_entry_price'] or '-':>14} "
            f"now {row['current_price'] or 'unvalued':>12} uPnL {row['unrealized_pnl_usd'] or '-'}"
            f" [{row['strategy_tag'] or 'mixed'}]"
        )
    _echo_excluded(excluded)


@portfolio_app.command("trades")
def trades_cmd(
    pair: str | None = typer.Option(None, "--pair", help="Canonical pair, e.g. XBTUSD."),
    limit: int = typer.Option(100, "--limit", min=1),
    as_json: bool = _JSON,
) -> None:
    """Recent trades with realized PnL and strategy tag, newest first."""
    rt = runtime()
    with exit_on_error():
        records = _service(rt).get_trade_history(pair=pair, limit=limit)
    if as_json:
        print_json([trade_json(r) for r in records])
        return
    for r in records:
        typer.echo(
            f"{timestamp(r.time)} {r.pair:10} {r.side:4} {money(r.base_delta):>16} "
            f"@ {money(r.price)} fee {money(r.fee_amount)} {r.fee_asset} "
            f"PnL {money(r.pnl_quote)} [{r.strategy_tag}]"
        )


@portfolio_app.command("cash-flows")
def cash_flows_cmd(
    asset: str | None = typer.Option(None, "--asset", help="Asset code, e.g. XBT or USD."),
    limit: int = typer.Option(100, "--limit", min=1),
    as_json: bool = _JSON,
) -> None:
    """Deposits, withdrawals, rewards, transfers and adjustments, newest first."""
    rt = runtime()
    with exit_on_error():
        records = _service(rt).get_cash_flows(asset=asset, limit=limit)
    if as_json:
        print_json([cash_flow_json(r) for r in records])
        return
    for r in records:
        typer.echo(f"{timestamp(r.time)} {r.type:10} {money(r.amount):>18} {r.asset} ({r.id})")


def register(app: typer.Typer) -> None:
    app.add_typer(portfolio_app, name="portfolio")
