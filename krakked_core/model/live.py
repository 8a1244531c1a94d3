"""Live-feed values shared by the WebSocket session and the feed: channels and counters."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from krakked_core.model.market import TickerSnapshot, Timeframe


@dataclass(frozen=True, order=True)
class ChannelKey:
    """One subscription: ``ticker`` of a pair, or ``ohlc`` of a pair at a timeframe."""

    channel: str
    pair: str  # canonical
    timeframe: Timeframe | None = None

    def __str__(self) -> str:
        return f"{self.channel}:{self.pair}" + (f":{self.timeframe}" if self.timeframe else "")


class Quote(NamedTuple):
    """A ticker update as it streams in: a ``TickerSnapshot``'s values, built for the hot path
    (a tuple costs a fraction of a validated model; the cache makes the snapshot when asked)."""

    pair: str  # canonical
    bid: Decimal
    ask: Decimal
    last: Decimal
    volume_24h: Decimal
    vwap_24h: Decimal
    updated_at: datetime  # when it was received (UTC)

    @classmethod
    def of(cls, snapshot: TickerSnapshot) -> "Quote":
        return cls(
            snapshot.pair,
            snapshot.bid,
            snapshot.ask,
            snapshot.last,
            snapshot.volume_24h,
            snapshot.vwap_24h,
            snapshot.updated_at,
        )

    def snapshot(self, updated_at: datetime | None = None) -> TickerSnapshot:
        """The snapshot of these values (stamped ``updated_at`` when given)."""
        return TickerSnapshot(
            pair=self.pair,
            bid=self.bid,
            ask=self.ask,
            last=self.last,
            volume_24h=self.volume_24h,
            vwap_24h=self.vwap_24h,
            updated_at=self.updated_at if updated_at is None else updated_at,
        )


@dataclass
class WsCounters:
    """What the live stream has seen since it started (plain counters, read by the sidecar).

    The session counts frames and connections; the feed counts data, acks and its watchdog.
    """

    messages: int = 0  # frames received
    data_items: int = 0  # ticker/ohlc items delivered to the sink
    malformed: int = 0  # frames (or items) skipped as unusable
    unknown: int = 0  # frames of a channel/method we do not handle
    subscribed: int = 0  # successful subscribe acks (one per channel and pair)
    reconnects: int = 0
    connection_errors: int = 0
    subscription_errors: int = 0
    resubscribes: int = 0  # silent channels resubscribed
    channel_scans: int = 0  # runs of the channel watchdog (at most one per tick)

    @property
    def errors(self) -> int:
        return self.malformed + self.unknown + self.connection_errors + self.subscription_errors
