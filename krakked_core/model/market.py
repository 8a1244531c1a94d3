"""Market data values: candles, ticker snapshots, data status. No I/O here.

Candle prices are floats (indicators want floats and the OHLC store is columnar); anything that
becomes money (ticker prices used for valuation and orders) is a Decimal.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

# The one timeframe type: config, model, stores, pipeline and CLI all take it. Strings from the
# outside (CLI options, Dagster run config, file names) become one through `parse_timeframe`.
Timeframe = Literal["1m", "5m", "15m", "1h", "4h", "1d"]
TIMEFRAMES: tuple[Timeframe, ...] = get_args(Timeframe)

TIMEFRAME_SECONDS: dict[Timeframe, int] = {
    "1m": 60,
    "5m": 300,
    "15m": 900,
    "1h": 3600,
    "4h": 14400,
    "1d": 86400,
}


def parse_timeframe(value: str) -> Timeframe:
    """``value`` as a `Timeframe`, or a ValueError that lists the valid ones."""
    for timeframe in TIMEFRAMES:
        if value == timeframe:
            return timeframe
    raise ValueError(f"unknown timeframe {value!r}: expected one of {', '.join(TIMEFRAMES)}")


class Bar(BaseModel):
    """One candle; ``time`` is the epoch second of the bar's open, as Kraken reports it."""

    model_config = ConfigDict(frozen=True)

    time: int
    open: float
    high: float
    low: float
    close: float
    vwap: float
    volume: float
    count: int = Field(ge=0)


@dataclass(frozen=True)
class BarPage:
    """One page of candles: closed bars (oldest → newest), the running bar, the poll cursor."""

    bars: list[Bar]
    running: Bar | None
    last: int | None  # ``since`` for the next poll


@dataclass(frozen=True)
class TradeTick:
    """One public trade."""

    price: float
    volume: float
    time: float  # epoch seconds with fraction
    trade_id: int | None


@dataclass(frozen=True)
class TradePage:
    """One page of public trades, oldest → newest, and the cursor for the next page."""

    trades: list[TradeTick]
    last: str | None


class TickerSnapshot(BaseModel):
    """The latest top of book and last trade for a pair, and when we heard it."""

    model_config = ConfigDict(frozen=True)

    pair: str  # canonical
    bid: Decimal
    ask: Decimal
    last: Decimal
    volume_24h: Decimal
    vwap_24h: Decimal
    updated_at: datetime  # when the cache received it (UTC)

    @property
    def mid(self) -> Decimal:
        return (self.bid + self.ask) / 2


class DataStatus(BaseModel):
    """What the live feed looks like now (the sidecar's published status)."""

    model_config = ConfigDict(frozen=True)

    rest_ok: bool
    ws_connected: bool
    last_message_at: datetime | None
    fresh_pairs: tuple[str, ...]
    stale_pairs: tuple[str, ...]
    subscription_errors: tuple[str, ...]
    # The sidecar's loops stopped by an error retrying must not meet (auth, nonce): "loop: why".
    stopped_loops: tuple[str, ...] = ()
