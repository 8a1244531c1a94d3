"""Fill the OHLC store from whichever source reaches the range asked for.

- ``OHLC`` (REST) serves only the most recent intervals (``bars_window``, 720 on Kraken): the
  recent window and tail updates.
- Kraken's OHLCVT CSV archives (``import_ohlcvt``, see archive.py) serve deep history.
- Older gaps that neither covers are rebuilt from ``Trades`` pages (1000 trades per call).

Every REST call goes through the market gateway, whose client's shared throttle keeps the
public rate; a progress bar shows on a terminal only. History from trades or archives has no
bar for an interval without trades (as in Kraken's archives); REST returns a flat zero-volume
bar there.
"""

import logging
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from rich.progress import Progress

from krakked_core.clock import Clock
from krakked_core.errors import KrakkedError
from krakked_core.market_data.ohlc_store import OhlcStore, Source, timeframe_seconds
from krakked_core.model.market import Bar, Timeframe, TradeTick
from krakked_core.model.pairs import PairMetadata
from krakked_core.ports import MarketGateway

logger = logging.getLogger(__name__)

# Start trusting REST a few intervals inside its window: the window slides while we page.
REST_SAFETY_BARS = 10
MAX_TRADE_PAGES = 100_000


@dataclass(frozen=True)
class BackfillReport:
    """What one backfill did: the range ``[start, end)`` and how it was filled."""

    pair: str
    timeframe: Timeframe
    start: int
    end: int
    bars_written: int
    sources: tuple[str, ...]
    requests: int


@dataclass
class _Progress:
    advance: Callable[[int], None] = field(default=lambda _n: None)


class OhlcBackfiller:
    """Backfill one pair and timeframe at a time into an ``OhlcStore``."""

    def __init__(
        self,
        market: MarketGateway,
        store: OhlcStore,
        clock: Clock,
        *,
        show_progress: bool | None = None,
    ) -> None:
        self._market = market
        self._store = store
        self._clock = clock
        self._show_progress = sys.stderr.isatty() if show_progress is None else show_progress

    def backfill(
        self,
        pair: PairMetadata,
        timeframe: Timeframe,
        since: int | None = None,
        until: int | None = None,
    ) -> BackfillReport:
        """Fill closed bars of ``[since, until)`` (defaults: after the newest stored bar, now)."""
        seconds = timeframe_seconds(timeframe)
        running_open = self.now() // seconds * seconds
        end = running_open if until is None else min(until, running_open)
        start = self._start(pair.canonical, timeframe, since, end)
        rest_floor = running_open - (self._market.bars_window - REST_SAFETY_BARS) * seconds
        sources: list[str] = []
        requests = written = 0
        with self._progress(f"{pair.canonical} {timeframe}", max(0, end - start)) as progress:
            for gap_start, gap_end in self._store.uncovered(
                pair.canonical, timeframe, start, min(end, rest_floor)
            ):
                count, calls = self._from_trades(pair, timeframe, gap_start, gap_end, progress)
                written, requests = written + count, requests + calls
                sources.append("trades")
            # REST only from the first bar no source filled yet (archives often reach into
            # its window), so a range already held costs no call.
            rest_gaps = self._store.uncovered(
                pair.canonical, timeframe, max(start, rest_floor), end
            )
            if rest_gaps:
                rest_from = rest_gaps[0][0]
                count = self._from_rest(pair, timeframe, rest_from, end)
                written, requests = written + count, requests + 1
                sources.append("rest_ohlc")
                progress.advance(end - rest_from)
        return BackfillReport(
            pair=pair.canonical,
            timeframe=timeframe,
            start=start,
            end=end,
            bars_written=written,
            sources=tuple(dict.fromkeys(sources)),
            requests=requests,
        )

    def _start(self, pair: str, timeframe: Timeframe, since: int | None, end: int) -> int:
        seconds = timeframe_seconds(timeframe)
        if since is not None:
            return since // seconds * seconds
        newest = self._store.newest_time(pair, timeframe)
        if newest is not None:
            return newest + seconds
        return end - (self._market.bars_window - REST_SAFETY_BARS) * seconds

    def _from_rest(self, pair: PairMetadata, timeframe: Timeframe, start: int, end: int) -> int:
        seconds = timeframe_seconds(timeframe)
        # Ask from one interval earlier so "since" is inclusive whichever way it is read.
        page = self._market.bars(pair.rest_symbol, timeframe, since=start - seconds)
        bars = [bar for bar in page.bars if start <= bar.time < end]
        written = self._store.append_bars(pair.canonical, timeframe, bars, "rest_ohlc")
        covered_from = max(start, page.bars[0].time) if page.bars else start
        self._record(pair.canonical, timeframe, covered_from, end, "rest_ohlc")
        return written

    def _from_trades(
        self, pair: PairMetadata, timeframe: Timeframe, start: int, end: int, progress: _Progress
    ) -> tuple[int, int]:
        builder = TradeBarBuilder(timeframe_seconds(timeframe))
        reached, calls = start, 0
        for ticks, page_end, exhausted in self._trade_pages(pair, start):
            calls += 1
            builder.add(tick for tick in ticks if start <= tick.time < end)
            progress.advance(max(0, min(page_end, end) - reached))
            reached = end if exhausted or page_end >= end else max(reached, page_end)
            if reached >= end:
                break
        # Bars before the last trade seen are complete; the one holding it may not be.
        complete_to = reached if reached >= end else reached // builder.seconds * builder.seconds
        bars = [bar for bar in builder.bars() if bar.time + builder.seconds <= complete_to]
        written = self._store.append_bars(pair.canonical, timeframe, bars, "trades")
        self._record(pair.canonical, timeframe, start, complete_to, "trades")
        return written, calls

    def _trade_pages(
        self, pair: PairMetadata, start: int
    ) -> Iterator[tuple[list[TradeTick], int, bool]]:
        """Yield (ticks, time reached, no more trades) page by page from ``start``."""
        cursor: int | str = start
        for _ in range(MAX_TRADE_PAGES):
            page = self._market.trades(pair.rest_symbol, since=cursor)
            exhausted = not page.trades or page.last is None or page.last == str(cursor)
            page_end = int(page.trades[-1].time) if page.trades else self.now()
            yield page.trades, page_end, exhausted
            if exhausted or page.last is None:
                return
            cursor = page.last
        logger.warning("stopped after %d Trades pages for %s", MAX_TRADE_PAGES, pair.canonical)

    def _record(
        self, pair: str, timeframe: Timeframe, start: int, end: int, source: Source
    ) -> None:
        self._store.record_coverage(pair, timeframe, start, end, source)

    def now(self) -> int:
        """The backfiller's clock, in epoch seconds."""
        return int(self._clock.now().timestamp())

    @contextmanager
    def _progress(self, label: str, total: int) -> Iterator[_Progress]:
        if not self._show_progress or total <= 0:
            yield _Progress()
            return
        with Progress(transient=True) as bar:
            task = bar.add_task(label, total=total)
            yield _Progress(advance=lambda n: bar.advance(task, n))


class TradeBarBuilder:
    """Aggregate trades into candles: first/max/min/last price, summed volume, VWAP, count."""

    def __init__(self, seconds: int) -> None:
        self.seconds = seconds
        self._buckets: dict[int, list[float]] = {}  # open → [o, h, l, c, volume, p×v, count]

    def add(self, ticks: Iterator[TradeTick] | Sequence[TradeTick]) -> None:
        for tick in ticks:
            bucket = int(tick.time) // self.seconds * self.seconds
            acc = self._buckets.get(bucket)
            if acc is None:
                self._buckets[bucket] = [tick.price] * 4 + [
                    tick.volume,
                    tick.price * tick.volume,
                    1,
                ]
                continue
            acc[1] = max(acc[1], tick.price)
            acc[2] = min(acc[2], tick.price)
            acc[3] = tick.price
            acc[4] += tick.volume
            acc[5] += tick.price * tick.volume
            acc[6] += 1

    def bars(self) -> list[Bar]:
        return [self._bar(t, acc) for t, acc in sorted(self._buckets.items())]

    @staticmethod
    def _bar(time: int, acc: list[float]) -> Bar:
        open_, high, low, close, volume, notional, count = acc
        vwap = notional / volume if volume > 0 else close
        return Bar(
            time=time,
            open=open_,
            high=high,
            low=low,
            close=close,
            vwap=vwap,
            volume=volume,
            count=int(count),
        )


# --- a range for the whole universe (one Dagster partition or partition range) -----------------


@dataclass(frozen=True)
class RangeFillReport:
    """What filling ``[start, end)`` of one timeframe for the universe produced."""

    timeframe: Timeframe
    start: int
    end: int
    pairs: tuple[str, ...]
    rows: int  # bars stored in the range for these pairs, after the fill
    sources: tuple[str, ...]
    missing_bars: dict[str, int]  # pair → closed intervals in the range without a bar
    failed: dict[str, str]  # pair → error, for pairs whose fill failed


def fill_range(
    backfiller: OhlcBackfiller,
    store: OhlcStore,
    pairs: Sequence[PairMetadata],
    timeframe: Timeframe,
    *,
    start: int,
    end: int,
) -> RangeFillReport:
    """Backfill ``[start, end)`` for every pair; a failing pair is reported, not fatal to others."""
    failed: dict[str, str] = {}
    for pair in pairs:
        try:
            backfiller.backfill(pair, timeframe, since=start, until=end)
        except KrakkedError as exc:
            logger.warning("backfill of %s %s failed: %s", pair.canonical, timeframe, exc)
            failed[pair.canonical] = f"{type(exc).__name__}: {exc}"
    expected = _expected_bars(timeframe, start, end, backfiller.now())
    rows, missing, sources = 0, {}, set()
    for pair in pairs:
        frame = store.frame(pair.canonical, timeframe, start, end)
        sources.update(frame["source"].unique().to_list())  # where the range's bars came from
        have = frame.height
        rows += have
        if have < expected:
            missing[pair.canonical] = expected - have
    return RangeFillReport(
        timeframe=timeframe,
        start=start,
        end=end,
        pairs=tuple(pair.canonical for pair in pairs),
        rows=rows,
        sources=tuple(sorted(sources)),
        missing_bars=missing,
        failed=failed,
    )


def _expected_bars(timeframe: Timeframe, start: int, end: int, now: int) -> int:
    seconds = timeframe_seconds(timeframe)
    closed_end = min(end, now // seconds * seconds)
    first = -(-start // seconds) * seconds
    return max(0, (closed_end - first + seconds - 1) // seconds)
