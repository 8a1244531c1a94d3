"""Kraken public market-data results → typed values, with explicit field maps.

Each parser takes the ``result`` of one endpoint (the client already checked ``error``). A
malformed entry is skipped and reported once per call in the log, never raised: one bad pair
must not hide the other four hundred.
"""

import io
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import polars as pl
from pydantic import ValidationError

from krakked_core.connection.symbols import normalize_asset
from krakked_core.model.market import Bar, BarPage, TradePage, TradeTick
from krakked_core.model.money import non_negative, to_decimal
from krakked_core.model.pairs import ListedPair, PairMetadata

logger = logging.getLogger(__name__)

T = TypeVar("T")

SPOT_ASSET_CLASS = "currency"
DARK_POOL_SUFFIX = ".d"


@dataclass(frozen=True)
class TickerStats:
    """The ``Ticker`` fields the universe and valuation use."""

    raw_name: str
    bid: Decimal
    ask: Decimal
    last: Decimal
    volume_24h: Decimal  # base volume over the last 24 hours (``v[1]``)
    vwap_24h: Decimal  # volume-weighted average price over the last 24 hours (``p[1]``)

    @property
    def volume_24h_quote(self) -> Decimal:
        """24h volume in the quote currency (USD for the universe): ``v[1] × p[1]``."""
        return self.volume_24h * self.vwap_24h


class _SkipReport:
    """Collect skipped entries of one parse call; log them once."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.count = 0
        self.first: str | None = None

    def skip(self, key: str, reason: object) -> None:
        self.count += 1
        if self.first is None:
            self.first = f"{key}: {reason}"

    def log(self) -> None:
        if self.count:
            logger.warning(
                "skipped %d malformed %s entr%s (first: %s)",
                self.count,
                self.kind,
                "y" if self.count == 1 else "ies",
                self.first,
                extra={"kind": self.kind, "skipped": self.count},
            )


def _parse_each(
    kind: str, items: Iterable[tuple[str, Any]], parse: Callable[[str, Any], T]
) -> list[T]:
    report = _SkipReport(kind)
    parsed: list[T] = []
    for key, raw in items:
        try:
            parsed.append(parse(key, raw))
        except (KeyError, IndexError, TypeError, ValueError, ValidationError) as exc:
            report.skip(key, _short(exc))
    report.log()
    return parsed


def _short(exc: Exception) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= 200 else text[:197] + "..."


def _require_mapping(result: object, endpoint: str) -> Mapping[str, Any]:
    if not isinstance(result, Mapping):
        raise TypeError(f"{endpoint} result is not an object: {type(result).__name__}")
    return result


# --- assets and pairs -----------------------------------------------------------------------


def parse_assets(result: object) -> dict[str, str]:
    """``Assets`` → legacy code → display code (``XXBT`` → ``XBT``, ``SOL`` → ``SOL``)."""
    entries = _require_mapping(result, "Assets")

    def one(code: str, raw: Any) -> tuple[str, str]:
        altname = raw["altname"]
        if not isinstance(altname, str) or not altname:
            raise ValueError(f"altname {altname!r}")
        return code, altname

    return dict(_parse_each("Assets", entries.items(), one))


def parse_asset_pairs(
    result: object, asset_names: Mapping[str, str] | None = None
) -> list[ListedPair]:
    """``AssetPairs`` → one entry per well-formed pair (every quote, every status)."""
    entries = _require_mapping(result, "AssetPairs")
    return _parse_each(
        "AssetPairs", entries.items(), lambda key, raw: _asset_pair(key, raw, asset_names)
    )


def _asset_pair(
    raw_name: str, raw: Mapping[str, Any], names: Mapping[str, str] | None
) -> ListedPair:
    altname = str(raw["altname"])
    lot_decimals = int(raw["lot_decimals"])
    tick = raw.get("tick_size")
    costmin = raw.get("costmin")
    metadata = PairMetadata(
        canonical=altname,
        base=normalize_asset(str(raw["base"]), names),
        quote=normalize_asset(str(raw["quote"]), names),
        rest_symbol=altname,
        # Dark-pool pairs have no wsname; they never reach the universe anyway.
        ws_symbol=str(raw.get("wsname") or ""),
        raw_name=raw_name,
        price_decimals=int(raw["pair_decimals"]),
        volume_decimals=lot_decimals,
        cost_decimals=int(raw.get("cost_decimals", raw["pair_decimals"])),
        lot_size=Decimal(1).scaleb(-lot_decimals),
        ordermin=non_negative(raw.get("ordermin", "0"), field="ordermin"),
        costmin=None if costmin is None else non_negative(costmin, field="costmin"),
        tick_size=None if tick is None else to_decimal(tick, field="tick_size"),
        status=str(raw.get("status", "online")),
    )
    spot = (
        raw.get("aclass_base") == SPOT_ASSET_CLASS and raw.get("aclass_quote") == SPOT_ASSET_CLASS
    )
    return ListedPair(metadata=metadata, spot=spot, dark_pool=altname.endswith(DARK_POOL_SUFFIX))


# --- ticker ---------------------------------------------------------------------------------


def parse_ticker(result: object) -> dict[str, TickerStats]:
    """``Ticker`` → stats keyed by the name Kraken answered with (usually the raw pair name)."""
    entries = _require_mapping(result, "Ticker")
    stats = _parse_each("Ticker", entries.items(), _ticker)
    return {item.raw_name: item for item in stats}


def _ticker(raw_name: str, raw: Mapping[str, Any]) -> TickerStats:
    return TickerStats(
        raw_name=raw_name,
        ask=non_negative(raw["a"][0], field="ask"),
        bid=non_negative(raw["b"][0], field="bid"),
        last=non_negative(raw["c"][0], field="last"),
        volume_24h=non_negative(raw["v"][1], field="volume_24h"),
        vwap_24h=non_negative(raw["p"][1], field="vwap_24h"),
    )


# --- OHLC -----------------------------------------------------------------------------------


def parse_ohlc(result: object) -> BarPage:
    """``OHLC`` → closed bars, the running (last) bar kept apart, and ``last``.

    Kraken's last row is always the candle still forming; it is never part of ``bars``.
    """
    entries = _require_mapping(result, "OHLC")
    last = _int_or_none(entries.get("last"))
    rows: list[Any] = []
    for key, value in entries.items():
        if key != "last" and isinstance(value, list):
            rows = value
            break
    parsed = _parse_each("OHLC", ((str(i), row) for i, row in enumerate(rows)), _ohlc_row)
    bars = _dedupe_sorted(parsed)
    running = bars.pop() if bars else None
    return BarPage(bars=bars, running=running, last=last)


def _ohlc_row(_key: str, row: Any) -> Bar:
    if not isinstance(row, list | tuple) or len(row) < 8:
        raise ValueError(f"expected 8 fields, got {row!r}")
    time, open_, high, low, close, vwap, volume, count = row[:8]
    return Bar(
        time=int(time),
        open=_price(open_),
        high=_price(high),
        low=_price(low),
        close=_price(close),
        vwap=_price(vwap),
        volume=_price(volume),
        count=int(count),
    )


def _price(value: Any) -> float:
    # Candles are floats by design (model/market.py); the string is still checked for sanity.
    number = float(to_decimal(value if not isinstance(value, float) else str(value)))
    if number < 0:
        raise ValueError(f"negative value {value!r}")
    return number


def _dedupe_sorted(bars: list[Bar]) -> list[Bar]:
    by_time = {bar.time: bar for bar in bars}  # a repeated time: the later row wins
    return [by_time[t] for t in sorted(by_time)]


def _int_or_none(value: Any) -> int | None:
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None


# --- trades ---------------------------------------------------------------------------------


def parse_trades(result: object) -> TradePage:
    """``Trades`` → ticks oldest → newest and ``last`` (a nanosecond cursor, kept as text)."""
    entries = _require_mapping(result, "Trades")
    last = entries.get("last")
    rows: list[Any] = []
    for key, value in entries.items():
        if key != "last" and isinstance(value, list):
            rows = value
            break
    ticks = _parse_each("Trades", ((str(i), row) for i, row in enumerate(rows)), _trade_row)
    ticks.sort(key=lambda tick: tick.time)
    return TradePage(trades=ticks, last=None if last is None else str(last))


def _trade_row(_key: str, row: Any) -> TradeTick:
    # [price, volume, time, side, ordertype, misc, trade_id]
    if not isinstance(row, list | tuple) or len(row) < 3:
        raise ValueError(f"expected at least 3 fields, got {row!r}")
    price = _price(row[0])
    volume = _price(row[1])
    time = float(row[2])
    if price <= 0 or time <= 0:
        raise ValueError(f"non-positive price or time in {row!r}")
    trade_id = int(row[6]) if len(row) > 6 and row[6] not in (None, "") else None
    return TradeTick(price=price, volume=volume, time=time, trade_id=trade_id)


# --- OHLCVT archives ------------------------------------------------------------------------

_OHLCVT_NAME = re.compile(r"^(?P<pair>[A-Za-z0-9.]+)_(?P<interval>\d+)\.csv$")
_OHLCVT_COLUMNS = ("time", "open", "high", "low", "close", "volume", "count")


def ohlcvt_file_key(filename: str) -> tuple[str, int] | None:
    """``XBTUSD_60.csv`` → ``("XBTUSD", 60)``; None for any other name."""
    match = _OHLCVT_NAME.match(Path(filename).name)
    if match is None:
        return None
    return match["pair"], int(match["interval"])


def parse_ohlcvt_csv(data: bytes, name: str = "csv") -> list[Bar]:
    """A headerless Kraken OHLCVT CSV (``timestamp,open,high,low,close,volume,trades``) → Bars.

    The archive carries no VWAP; each bar gets the typical price ``(high + low + close) / 3``,
    the usual stand-in when trades are not at hand (exact for single-trade bars). Rows that do
    not parse are skipped and reported once.
    """
    try:
        frame = pl.read_csv(
            io.BytesIO(data),
            has_header=False,
            new_columns=list(_OHLCVT_COLUMNS),
            schema_overrides={c: pl.Float64 for c in _OHLCVT_COLUMNS},
            ignore_errors=True,
            truncate_ragged_lines=True,
        )
    except (pl.exceptions.PolarsError, ValueError) as exc:
        logger.warning("skipped unreadable OHLCVT file %s: %s", name, _short(exc))
        return []
    frame = frame.select(_OHLCVT_COLUMNS) if frame.width >= len(_OHLCVT_COLUMNS) else frame
    valid = frame.drop_nulls().filter(
        (pl.col("time") > 0)
        & (pl.col("low") >= 0)
        & (pl.col("volume") >= 0)
        & (pl.col("count") >= 0)
        & (pl.col("high") >= pl.col("low"))
    )
    report = _SkipReport("OHLCVT row")
    for _ in range(frame.height - valid.height):
        report.skip(name, "missing or invalid fields")
    report.log()
    vwap = (pl.col("high") + pl.col("low") + pl.col("close")) / 3
    rows = valid.with_columns(
        pl.col("time").cast(pl.Int64), pl.col("count").cast(pl.Int64), vwap.alias("vwap")
    )
    return [
        Bar.model_construct(**row)
        for row in rows.select(
            "time", "open", "high", "low", "close", "vwap", "volume", "count"
        ).iter_rows(named=True)
    ]
