"""`krakked universe | backfill | import-ohlcvt | ohlc`: the market-data commands."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import typer

from krakked_core.cli.common import Runtime, exit_on_error, print_json, runtime, timeframe_option
from krakked_core.clock import SystemClock
from krakked_core.db import check_schema
from krakked_core.market_data.api import MarketDataAPI, build_market_data_api
from krakked_core.market_data.archive import import_ohlcvt
from krakked_core.market_data.ohlc_store import OhlcStore
from krakked_core.model.market import TIMEFRAMES
from krakked_core.model.pairs import PairMetadata

UNIVERSE_MAX_AGE = timedelta(hours=1)
_TIMEFRAME_HELP = f"one of {', '.join(TIMEFRAMES)}"


def _api(rt: Runtime) -> MarketDataAPI:
    check_schema(rt.engine)  # DatabaseVersionError says to run `krakked db upgrade`
    return build_market_data_api(rt.config, rt.paths, rt.engine)


def universe_cmd(
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list of PairMetadata."),
    refresh: bool = typer.Option(False, "--refresh", help="Fetch from the exchange now."),
) -> None:
    """Show the USD spot universe (fetched when none is stored or it is over an hour old)."""
    rt = runtime()
    with exit_on_error():
        api = _api(rt)
        built = api.universe_refreshed_at()
        if refresh or built is None or SystemClock().now() - built > UNIVERSE_MAX_AGE:
            api.refresh_universe()
        pairs = api.get_universe_metadata()
    if as_json:
        print_json([_plain_decimals(pair.model_dump()) for pair in pairs])
        return
    for pair in pairs:
        typer.echo(_pair_line(pair))
    typer.echo(f"{len(pairs)} pairs")


def backfill_cmd(
    pair: str = typer.Option(..., "--pair", help="Canonical pair, e.g. XBTUSD."),
    timeframe: str = typer.Option(..., "--timeframe", help=_TIMEFRAME_HELP),
    since: str | None = typer.Option(None, "--since", help="ISO date (UTC), e.g. 2024-03-01."),
) -> None:
    """Fill stored OHLC history for a pair from --since (or after the newest stored bar)."""
    since_ts = _parse_since(since)
    tf = timeframe_option(timeframe)
    rt = runtime()
    with exit_on_error():
        report = _api(rt).backfill_ohlc(pair, tf, since=since_ts)
    typer.echo(
        f"{report.pair} {report.timeframe}: {report.bars_written} bars from "
        f"{', '.join(report.sources) or 'no source'} ({report.requests} requests)"
    )


def import_ohlcvt_cmd(
    path: Path = typer.Argument(..., help="A Kraken OHLCVT zip, or a folder of PAIR_INTERVAL.csv."),
    pairs: list[str] | None = typer.Option(None, "--pair", help="Import only these pairs."),
) -> None:
    """Import Kraken's downloadable OHLCVT CSV archives into the OHLC store."""
    rt = runtime()
    store = OhlcStore(rt.config.ohlc_root(rt.paths), SystemClock())
    try:
        report = import_ohlcvt(path, store, pairs or None)
    except (FileNotFoundError, OSError, ValueError) as exc:
        typer.echo(f"import failed: {exc}", err=True)
        raise typer.Exit(1) from None
    for (pair, timeframe), count in sorted(report.imported.items()):
        typer.echo(f"{pair} {timeframe}: {count} bars")
    typer.echo(f"{report.bars} bars imported, {len(report.skipped)} files skipped")


def ohlc_cmd(
    pair: str = typer.Option(..., "--pair", help="Canonical pair, e.g. XBTUSD."),
    timeframe: str = typer.Option(..., "--timeframe", help=_TIMEFRAME_HELP),
    lookback: int = typer.Option(..., "--lookback", min=1, help="Number of closed bars."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list of bars."),
) -> None:
    """Print the newest closed bars of a pair, oldest first."""
    tf = timeframe_option(timeframe)
    rt = runtime()
    with exit_on_error():
        bars = _api(rt).get_ohlc(pair, tf, lookback)
    if as_json:
        print_json([bar.model_dump() for bar in bars])
        return
    for bar in bars:
        when = datetime.fromtimestamp(bar.time, tz=UTC).isoformat()
        typer.echo(
            f"{when} o={bar.open} h={bar.high} l={bar.low} c={bar.close} "
            f"vwap={bar.vwap} v={bar.volume} n={bar.count}"
        )


def _pair_line(pair: PairMetadata) -> str:
    return (
        f"{pair.canonical:<12} {pair.ws_symbol:<12} {pair.raw_name:<12} "
        f"tick={pair.tick_size} lot={pair.lot_size} ordermin={pair.ordermin} {pair.status}"
    )


def _plain_decimals(data: dict[str, Any]) -> dict[str, Any]:
    """Decimals as plain strings (``0.00000001``, never ``1E-8``): exact, and readable."""
    return {k: format(v, "f") if isinstance(v, Decimal) else v for k, v in data.items()}


def _parse_since(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        typer.echo(f"--since: not an ISO date (YYYY-MM-DD): {text!r}", err=True)
        raise typer.Exit(2) from None
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def register(app: typer.Typer) -> None:
    app.command("universe")(universe_cmd)
    app.command("backfill")(backfill_cmd)
    app.command("import-ohlcvt")(import_ohlcvt_cmd)
    app.command("ohlc")(ohlc_cmd)
