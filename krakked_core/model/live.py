"""Live-feed values shared by the WebSocket session and the feed: channels and counters."""

from dataclasses import dataclass

from krakked_core.model.market import Timeframe


@dataclass(frozen=True, order=True)
class ChannelKey:
    """One subscription: ``ticker`` of a pair, or ``ohlc`` of a pair at a timeframe."""

    channel: str
    pair: str  # canonical
    timeframe: Timeframe | None = None

    def __str__(self) -> str:
        return f"{self.channel}:{self.pair}" + (f":{self.timeframe}" if self.timeframe else "")


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
