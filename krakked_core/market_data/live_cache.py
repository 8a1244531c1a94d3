"""The sidecar's in-memory live cache: latest tickers, running bars, and closed-bar detection.

Kraken's OHLC channel has no "closed" flag. A bar is closed when a message for a later
``interval_begin`` arrives, or when its end time (plus a small grace for late trades) passes —
but not by the clock while its channel has no live data (socket down, silent channel in REST
fallback: ``drain(hold=...)``), since its values may then be partial. A bar that was running
while held is remembered as *suspect*: unless the exchange's settled view of it arrives (a
revision: subscription snapshot or REST row for its own time), it is dropped when it ends rather
than handed out with partial values — a gap, which ``get_ohlc`` tolerates and the REST tail fills.

Each closed bar is handed out once. Later updates for it are counted and ignored, except a
*revision*: the exchange's settled view of the candle (a subscription snapshot, a committed REST
row) that differs from what was handed out replaces it and is handed out again (the live store
upserts it). The cache is not thread-safe: the sidecar's event loop owns it.

Tickers are ordered by arrival and aged on the monotonic clock, never by wall time: after the
wall clock is set back, the newest ticker still replaces the one held (wall-time ordering froze
the price for as long as the step), and a step either way neither freshens nor ages a price. A
drained ticker's ``updated_at`` is restated on the wall clock as it reads at the drain
(``LiveBatch.as_of``), so the store can carry its true age onto the shared clock.
"""

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from krakked_core.clock import MonotonicClock
from krakked_core.model.live import Quote
from krakked_core.model.market import TIMEFRAME_SECONDS, Bar, TickerSnapshot, Timeframe

BarKey = tuple[str, Timeframe]  # (canonical pair, timeframe)
KeyedBar = tuple[str, Timeframe, Bar]  # (canonical pair, timeframe, bar)
# How many intervals before the newest closed bar a revision may reach (REST polls ask for 3).
REVISION_WINDOW_BARS = 10


@dataclass(frozen=True)
class LiveBatch:
    """What changed since the last drain: one ``LiveStore.publish`` worth."""

    tickers: tuple[TickerSnapshot, ...] = ()
    closed_bars: tuple[KeyedBar, ...] = ()
    running_bars: tuple[KeyedBar, ...] = ()
    # The cache's wall time at the drain: the clock the tickers' ``updated_at`` are stated on.
    as_of: datetime | None = field(default=None, compare=False)

    @property
    def empty(self) -> bool:
        return not (self.tickers or self.closed_bars or self.running_bars)


@dataclass
class _BarState:
    running: dict[BarKey, Bar] = field(default_factory=dict)
    closed_through: dict[BarKey, int] = field(default_factory=dict)  # newest closed bar time
    handed_out: dict[BarKey, dict[int, Bar]] = field(default_factory=dict)  # recent closed bars
    pending_closed: list[KeyedBar] = field(default_factory=list)
    dirty: set[BarKey] = field(default_factory=set)
    # Running bars (by time) that were held, i.e. lived through a gap in live data: their
    # values may miss trades until the exchange's settled view (a revision) replaces them.
    suspect: dict[BarKey, int] = field(default_factory=dict)


class LiveCache:
    """Latest ticker per pair and live bar per (pair, timeframe), batched for publishing."""

    def __init__(self, clock: MonotonicClock, close_grace_seconds: float = 2.0) -> None:
        self._clock = clock
        self._grace = close_grace_seconds
        self._tickers: dict[str, Quote] = {}
        self._ticker_born: dict[str, float] = {}  # monotonic time each ticker was current
        self._dirty_tickers: set[str] = set()
        self._bars = _BarState()
        self.late_updates = 0  # updates for bars already closed (ignored)
        self.revisions = 0  # closed bars replaced by the exchange's settled values
        self.dropped_partial = 0  # held bars superseded unsettled: never handed out (a gap)

    # --- writers (the WS client and the REST fallback) -----------------------------------

    def on_ticker(self, snapshot: TickerSnapshot) -> None:
        """Keep the ticker of a pair that arrived last (already as old as its ``updated_at``)."""
        self.on_quote(Quote.of(snapshot))

    def on_quote(self, quote: Quote) -> None:
        """``on_ticker`` for the stream's cheap form of a ticker."""
        age = max(0.0, (self._clock.now() - quote.updated_at).total_seconds())
        self._tickers[quote.pair] = quote
        self._ticker_born[quote.pair] = self._clock.monotonic() - age
        self._dirty_tickers.add(quote.pair)

    def on_bar(self, pair: str, timeframe: Timeframe, bar: Bar, *, revise: bool = False) -> None:
        """Take a candle update; a later candle closes the running one.

        ``revise``: the candle is the exchange's settled view (snapshot or committed REST row);
        for a bar already closed it replaces what was handed out, if different.
        """
        if timeframe not in TIMEFRAME_SECONDS:
            raise ValueError(f"unknown timeframe {timeframe!r}")
        key = (pair, timeframe)
        state = self._bars
        closed_through = state.closed_through.get(key)
        if closed_through is not None and bar.time <= closed_through:
            if not (revise and self._revise(key, bar, closed_through)):
                self.late_updates += 1
            return
        running = state.running.get(key)
        if running is not None and bar.time < running.time:
            # An older candle than the running one (e.g. history in a snapshot): it is final.
            self._close(key, bar)
            return
        if running is not None and bar.time > running.time:
            self._finish(key, running)
        if revise and state.suspect.get(key) == bar.time:
            del state.suspect[key]  # the exchange's settled view replaces the partial values
        state.running[key] = bar
        state.dirty.add(key)

    # --- readers --------------------------------------------------------------------------

    def latest_ticker(self, pair: str) -> TickerSnapshot | None:
        quote = self._tickers.get(pair)
        return None if quote is None else quote.snapshot()

    def running_bar(self, pair: str, timeframe: Timeframe) -> Bar | None:
        return self._bars.running.get((pair, timeframe))

    @property
    def changed(self) -> bool:
        """Whether anything arrived since the last drain (bars the clock closes aside)."""
        state = self._bars
        return bool(self._dirty_tickers or state.dirty or state.pending_closed)

    def fresh_pairs(self, tolerance_seconds: float) -> set[str]:
        """Pairs whose ticker is no older than the tolerance (on the monotonic clock)."""
        oldest = self._clock.monotonic() - tolerance_seconds
        return {pair for pair, born in self._ticker_born.items() if born >= oldest}

    # --- batching -------------------------------------------------------------------------

    def drain(self, hold: Collection[BarKey] = ()) -> LiveBatch:
        """Close bars whose time is up (except those of ``hold``: keys without live data), and
        hand out everything changed since the last drain."""
        state = self._bars
        for key in hold:  # live data is missing now: the running bar may end up partial
            running = state.running.get(key)
            if running is not None:
                state.suspect[key] = running.time
        now = self._clock.now()
        self._close_expired(now, hold)
        batch = LiveBatch(
            tickers=tuple(self._restated(pair, now) for pair in sorted(self._dirty_tickers)),
            closed_bars=_latest_versions(state.pending_closed),
            running_bars=tuple(
                (*key, state.running[key]) for key in sorted(state.dirty) if key in state.running
            ),
            as_of=now,
        )
        self._dirty_tickers.clear()
        state.pending_closed = []
        state.dirty.clear()
        return batch

    def restore(self, batch: LiveBatch) -> None:
        """Put a batch that could not be published back, so the next drain retries it."""
        self._dirty_tickers.update(snap.pair for snap in batch.tickers)
        self._bars.pending_closed[:0] = batch.closed_bars
        self._bars.dirty.update((pair, tf) for pair, tf, _ in batch.running_bars)

    def _restated(self, pair: str, now: datetime) -> TickerSnapshot:
        """The pair's ticker with ``updated_at`` = ``now`` less its monotonic age."""
        age = self._clock.monotonic() - self._ticker_born[pair]
        return self._tickers[pair].snapshot(updated_at=now - timedelta(seconds=age))

    def _close(self, key: BarKey, bar: Bar) -> None:
        state = self._bars
        state.pending_closed.append((*key, bar))
        closed_through = max(bar.time, state.closed_through.get(key, bar.time))
        state.closed_through[key] = closed_through
        recent = state.handed_out.setdefault(key, {})
        recent[bar.time] = bar
        oldest = closed_through - REVISION_WINDOW_BARS * TIMEFRAME_SECONDS[key[1]]
        for time in [t for t in recent if t < oldest]:
            del recent[time]

    def _revise(self, key: BarKey, bar: Bar, closed_through: int) -> bool:
        """Hand out ``bar`` again if it settles a recent closed bar differently (or fills one
        never seen); False when it is too old or changes nothing."""
        if bar.time < closed_through - REVISION_WINDOW_BARS * TIMEFRAME_SECONDS[key[1]]:
            return False
        if self._bars.handed_out.get(key, {}).get(bar.time) == bar:
            return False
        self.revisions += 1
        self._close(key, bar)
        return True

    def _close_expired(self, now: datetime, hold: Collection[BarKey] = ()) -> None:
        now_ts = now.timestamp()
        expired = [
            key
            for key, bar in self._bars.running.items()
            if now_ts >= bar.time + TIMEFRAME_SECONDS[key[1]] + self._grace and key not in hold
        ]
        for key in expired:
            bar = self._bars.running.pop(key)
            self._bars.dirty.discard(key)
            self._finish(key, bar)

    def _finish(self, key: BarKey, bar: Bar) -> None:
        """Close a running bar that is over; one that lived through a gap in live data and was
        never settled is dropped instead (a gap the REST history fills; a later revision may
        still hand it out)."""
        state = self._bars
        if state.suspect.get(key) != bar.time:
            self._close(key, bar)
            return
        del state.suspect[key]
        self.dropped_partial += 1
        state.closed_through[key] = max(bar.time, state.closed_through.get(key, bar.time))


def _latest_versions(bars: list[KeyedBar]) -> tuple[KeyedBar, ...]:
    """One entry per closed bar, its latest version (a revision replaces the first close)."""
    latest = {(pair, tf, bar.time): (pair, tf, bar) for pair, tf, bar in bars}
    return tuple(latest.values())
