"""When to run a decision cycle: the candle-close sensor's logic, without Dagster.

For each timeframe an enabled strategy uses, the newest candle that has closed is due once: as
soon as the sidecar has published that bar for every pair the strategies read, or once the grace
period past the close has passed (a pair with no trades publishes nothing). While the live data
is stale nothing is due: the cursor stays, so the cycle runs when data is fresh again, still for
the newest close. Older closes are never replayed. ``run_key`` = ``"<timeframe>:<close epoch>"``
makes Dagster start at most one run per candle, whatever the cursor says after a restart.
"""

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from krakked_core.config import AppConfig
from krakked_core.model.market import TIMEFRAME_SECONDS, DataStatus, Timeframe
from krakked_core.strategy.cycle_inputs import strategy_universes
from krakked_core.strategy.registry import build_strategies
from krakked_core.strategy.runner import StrategyRunner
from krakked_core.strategy.sources import MarketReader

logger = logging.getLogger(__name__)

# Past a close, how long to wait for the sidecar's bar before running anyway.
DEFAULT_GRACE_SECONDS = 20.0

Published = Callable[[str, Timeframe, int], bool]  # (pair, timeframe, bar open) → published?


@dataclass(frozen=True, slots=True)
class CycleRequest:
    """One due cycle: the candle of ``timeframe`` that closed at ``close_ts`` (epoch s)."""

    timeframe: Timeframe
    close_ts: int

    @property
    def run_key(self) -> str:
        return f"{self.timeframe}:{self.close_ts}"


@dataclass(frozen=True, slots=True)
class DueCycles:
    """The cycles to start now, the cursor to keep, and why anything else is not due yet."""

    requests: tuple[CycleRequest, ...]
    cursor: Mapping[str, int]
    waiting: tuple[str, ...]

    def cursor_text(self) -> str:
        return json.dumps(dict(sorted(self.cursor.items())))


def parse_cursor(text: str | None) -> dict[str, int]:
    """The last requested close per timeframe; an unreadable cursor starts afresh (logged)."""
    if not text:
        return {}
    try:
        data = json.loads(text)
        return {str(tf): int(close) for tf, close in data.items() if tf in TIMEFRAME_SECONDS}
    except (ValueError, TypeError, AttributeError):
        logger.warning("candle-close sensor: unreadable cursor %r, starting afresh", text)
        return {}


def due_cycles(
    now: datetime,
    pairs_by_timeframe: Mapping[Timeframe, tuple[str, ...]],
    cursor: Mapping[str, int],
    status: DataStatus,
    published: Published,
    *,
    grace_seconds: float = DEFAULT_GRACE_SECONDS,
) -> DueCycles:
    """Decide which timeframes' newest closes are due at ``now``."""
    epoch = int(now.timestamp())
    requests, waiting = [], []
    kept = dict(cursor)
    for timeframe in sorted(pairs_by_timeframe, key=TIMEFRAME_SECONDS.__getitem__):
        seconds = TIMEFRAME_SECONDS[timeframe]
        close = epoch // seconds * seconds
        if kept.get(timeframe, 0) >= close:
            continue
        pairs = pairs_by_timeframe[timeframe]
        stale = _stale(status, pairs)
        if stale:
            waiting.append(f"{timeframe}: live data is stale ({stale}); no cycle until it is fresh")
            continue
        missing = [pair for pair in pairs if not published(pair, timeframe, close - seconds)]
        if missing and epoch < close + grace_seconds:
            waiting.append(
                f"{timeframe}: waiting for the bar closing at {close} of {', '.join(missing)}"
            )
            continue
        requests.append(CycleRequest(timeframe, close))
        kept[timeframe] = close
    return DueCycles(tuple(requests), kept, tuple(waiting))


def check_candle_closes(
    now: datetime,
    cursor: Mapping[str, int],
    *,
    config: AppConfig,
    market: MarketReader,
    grace_seconds: float = DEFAULT_GRACE_SECONDS,
) -> DueCycles:
    """``due_cycles`` for the enabled strategies, their universes and the sidecar's bars."""
    runner = StrategyRunner(build_strategies(config))
    if not runner.timeframes():
        return DueCycles((), dict(cursor), ("no strategy is enabled: nothing to decide",))
    universes = strategy_universes(config, market, runner).universes
    pairs = {tf: runner.pairs_for(tf, universes) for tf in runner.timeframes()}

    def published(pair: str, timeframe: Timeframe, bar_open: int) -> bool:
        bars = market.live.closed_bars_since(pair, timeframe, bar_open - 1)
        return any(bar.time == bar_open for bar in bars)

    status = market.get_data_status()
    return due_cycles(now, pairs, cursor, status, published, grace_seconds=grace_seconds)


def _stale(status: DataStatus, pairs: tuple[str, ...]) -> str:
    if not status.ws_connected:
        return "the live feed is not connected"
    stale = [pair for pair in pairs if pair not in status.fresh_pairs]
    return f"stale: {', '.join(stale)}" if stale else ""
