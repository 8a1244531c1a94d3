"""The sidecar: the long-lived process that keeps the live cache and publishes it to the app DB.

It runs the live feed (a WebSocket v2 session, with its REST fallback) for the universe and
publishes batches, each in one transaction: the latest ticker of each pair that changed, each
bar that closed (once), the running bars that changed, and a ``data_status`` row. New data is
published within ``DATA_PUBLISH_SECONDS``; the status at least every publish interval. On
SIGTERM/SIGINT it stops the client, flushes the last batch (reporting itself disconnected) and
returns normally, so ``krakked sidecar`` exits 0.

Given a ``reload_pairs`` function (the stored universe), it re-reads the pairs every
``market_data.ws.universe_reload_seconds`` and subscribes/unsubscribes the difference, so a
universe refresh reaches the live feed without a restart.

The dead-man switch (Kraken's ``CancelAllOrdersAfter``) is refreshed here once the OMS supplies
a ``DeadManSwitch``; until then there is none, and the sidecar says so at start-up.

The helper loops (universe reload, dead-man switch) run under a ``LoopGuard``: a failed round is
retried next round, but an auth or nonce error stops that loop, logged once and named in the
status (``stopped_loops``).

Two clocks: ``clock`` is this host's (the feed, the cache, bar closing), and the ``store`` judges
ages on the clock every reader shares (``db.server_clock.shared_clock``); each batch carries its
drain time (``as_of``) so the store keeps the tickers' ages across.
"""

import asyncio
import contextlib
import logging
import random
import signal
import threading
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Protocol

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from krakked_core.clock import Clock, MonotonicClock
from krakked_core.config import AppConfig
from krakked_core.connection import NO_RETRY, build_market_gateway
from krakked_core.connection.ws_session import KrakenWsSession
from krakked_core.errors import UnknownPairError
from krakked_core.loop_guard import LoopGuard
from krakked_core.market_data.live_cache import LiveBatch, LiveCache
from krakked_core.market_data.live_fallback import RestFallback, in_daemon_thread
from krakked_core.market_data.live_feed import LiveFeed
from krakked_core.market_data.live_store import LiveStore
from krakked_core.market_data.universe import UniverseRepository, fetch_universe
from krakked_core.metrics import Metrics
from krakked_core.model.market import DataStatus
from krakked_core.model.pairs import PairMetadata
from krakked_core.paths import AppPaths
from krakked_core.ports import MarketGateway

logger = logging.getLogger(__name__)

PRUNE_EVERY = timedelta(hours=1)
# How long new live data waits, at most, for the batch that publishes it (the readers' lag).
DATA_PUBLISH_SECONDS = 0.1
# The REST fallback's calls: one try, short. A stale answer is worth nothing to a live feed (the
# next poll asks again), and a stopping sidecar must not wait on retries.
FALLBACK_REST_TIMEOUT_SECONDS = 5.0


class DeadManSwitch(Protocol):
    """Re-arms Kraken's ``CancelAllOrdersAfter`` (the OMS provides it; live trading needs it)."""

    @property
    def refresh_interval_seconds(self) -> float: ...

    def refresh(self) -> None:
        """Re-arm the switch (blocking REST call; raise a VenueError on failure)."""
        ...


class Sidecar:
    """Live feed (WebSocket session + REST fallback) + live cache + batched publisher."""

    def __init__(
        self,
        *,
        config: AppConfig,
        store: LiveStore,
        pairs: Sequence[PairMetadata],
        clock: MonotonicClock,
        rest: MarketGateway | None,
        dead_man_switch: DeadManSwitch | None = None,
        rng: random.Random | None = None,
        reload_pairs: Callable[[], Sequence[PairMetadata]] | None = None,
    ) -> None:
        ws = config.market_data.ws
        self._config = config
        self._store = store
        self._clock = clock
        self._dead_man_switch = dead_man_switch
        self._reload_pairs = reload_pairs
        self.cache = LiveCache(clock, ws.bar_close_grace_seconds)
        fallback = RestFallback(rest, pairs, clock, self.cache) if rest is not None else None
        self._fallback = fallback
        session = KrakenWsSession(url=config.exchange.ws_url, config=ws, clock=clock, rng=rng)
        self.ws_counters = session.counters  # read by /metrics (metrics_state.WsCollector)
        self.client = LiveFeed(
            session=session,
            pairs=pairs,
            timeframes=config.market_data.timeframes,
            config=ws,
            clock=clock,
            sink=self.cache,
            fallback=fallback,
        )
        self._pairs = tuple(sorted(self.client.pairs))  # without pairs the client refused
        self._requested = tuple(sorted(meta.canonical for meta in pairs))
        self.batches_published = 0
        self.publish_errors = 0
        self._loops = LoopGuard()  # the helper loops (reload, dead-man switch) under the tree

    @property
    def pairs(self) -> tuple[str, ...]:
        """The canonical pairs streamed now, sorted."""
        return self._pairs

    def status(self) -> DataStatus:
        """The feed as the sidecar sees it now."""
        fresh = self.cache.fresh_pairs(self._config.market_data.ws.stale_tolerance_seconds)
        return DataStatus(
            rest_ok=self.client.rest_ok,
            ws_connected=self.client.connected,
            last_message_at=self.client.last_message_at,
            fresh_pairs=tuple(p for p in self._pairs if p in fresh),
            stale_pairs=tuple(p for p in self._pairs if p not in fresh),
            subscription_errors=self.client.subscription_errors(),
            stopped_loops=self._loops.stopped_loops,
        )

    async def run(self, stop: asyncio.Event) -> None:
        """Stream and publish until ``stop`` is set; then flush the last batch and return."""
        if self._dead_man_switch is None:
            logger.info("no dead-man switch configured (the OMS supplies one for live trading)")
        logger.info("sidecar starting", extra={"pairs": len(self._pairs)})
        client_task = asyncio.create_task(self.client.run(stop))
        tasks = [asyncio.create_task(self._publish_loop(stop))]
        if self._dead_man_switch is not None:
            switch = self._dead_man_switch
            tasks.append(asyncio.create_task(self._dead_man_switch_loop(stop, switch)))
        if self._reload_pairs is not None:
            tasks.append(asyncio.create_task(self._reload_loop(stop, self._reload_pairs)))
        try:
            await asyncio.gather(client_task, *tasks)
        finally:
            stop.set()
            # The helper loops may be inside a blocking call (a REST refresh): do not wait.
            for task in tasks[1:]:
                task.cancel()
            await asyncio.gather(client_task, *tasks, return_exceptions=True)
            await self.publish_once()  # the last batch, reporting the socket closed
            logger.info("sidecar stopped", extra={"batches": self.batches_published})

    async def publish_once(self) -> bool:
        """Publish what changed plus the status; on a DB failure keep the batch for next time."""
        # Bars of channels without live data are not closed by the clock (partial values).
        batch = self.cache.drain(hold=self.client.held_bar_keys())
        status = self.status()
        try:
            await asyncio.to_thread(self._publish, batch, status)
        except SQLAlchemyError as exc:
            self.cache.restore(batch)
            self.publish_errors += 1
            logger.warning("publishing live data failed, will retry: %s", type(exc).__name__)
            return False
        self.batches_published += 1
        return True

    def _publish(self, batch: LiveBatch, status: DataStatus) -> None:
        self._store.publish(
            tickers=batch.tickers,
            closed_bars=batch.closed_bars,
            running_bars=batch.running_bars,
            status=status,
            as_of=batch.as_of,
        )

    async def _publish_loop(self, stop: asyncio.Event) -> None:
        """Publish new data within ``DATA_PUBLISH_SECONDS`` of its arrival, and the status (and
        bars the clock closes) at least every publish interval."""
        interval = self._config.market_data.ws.publish_interval_seconds
        wake = min(interval, DATA_PUBLISH_SECONDS)
        next_prune = self._clock.now()
        next_status = next_wake = self._clock.monotonic()
        while not stop.is_set():
            # On a fixed beat, not a pause after each publish: a slow write does not add its
            # time to the next batch's wait.
            next_wake = max(next_wake + wake, self._clock.monotonic())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), next_wake - self._clock.monotonic())
            if stop.is_set():
                break
            if not self.cache.changed and self._clock.monotonic() < next_status + interval:
                continue
            next_status = self._clock.monotonic()
            await self.publish_once()
            if self._clock.now() >= next_prune:
                await self._prune()
                next_prune = self._clock.now() + PRUNE_EVERY

    async def _prune(self) -> None:
        days = self._config.market_data.ws.live_bars_retention_days
        cutoff = int((self._clock.now() - timedelta(days=days)).timestamp())
        try:
            removed = await asyncio.to_thread(self._store.prune_closed_bars, cutoff)
        except SQLAlchemyError as exc:
            logger.warning("pruning old live bars failed: %s", type(exc).__name__)
            return
        if removed:
            logger.info("pruned %d live bars older than %d days", removed, days)

    async def reload_pairs_once(self, reload: Callable[[], Sequence[PairMetadata]]) -> bool:
        """Re-read the pairs; stream the new set if it changed. True when it changed."""
        try:
            pairs = [meta for meta in await asyncio.to_thread(reload) if meta.ws_symbol]
        except SQLAlchemyError as exc:
            logger.warning("reloading the universe failed, keeping the pairs: %s", exc)
            return False
        names = tuple(sorted(meta.canonical for meta in pairs))
        if not pairs or names == self._requested:  # an empty universe is a mistake, not an order
            return False
        self._requested = names
        if self._fallback is not None:
            self._fallback.set_pairs(pairs)
        await self.client.set_pairs(pairs)  # skips (and logs) pairs it cannot stream
        self._pairs = tuple(sorted(self.client.pairs))
        logger.info("universe changed: streaming %d pair(s)", len(self._pairs))
        return True

    async def _reload_loop(
        self, stop: asyncio.Event, reload: Callable[[], Sequence[PairMetadata]]
    ) -> None:
        async def reload_once() -> None:
            await self.reload_pairs_once(reload)

        interval = self._config.market_data.ws.universe_reload_seconds
        await self._loops.every("universe reload", interval, stop, reload_once, wait_first=True)

    async def _dead_man_switch_loop(self, stop: asyncio.Event, switch: DeadManSwitch) -> None:
        """Refresh the dead-man switch on its interval (only when one was supplied)."""

        async def refresh() -> None:
            # In a daemon thread: a refresh stuck in a request must not hold the exit.
            await in_daemon_thread(switch.refresh)

        interval = switch.refresh_interval_seconds
        await self._loops.every("dead-man switch", interval, stop, refresh, wait_first=False)


def run_sidecar(sidecar: Sidecar, stop: threading.Event | None = None) -> None:
    """Run until SIGTERM/SIGINT (main thread) or ``stop`` is set; flush, then return."""

    async def main() -> None:
        done = asyncio.Event()
        loop = asyncio.get_running_loop()
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, done.set)
        watcher = asyncio.create_task(_watch_thread_event(stop, done)) if stop else None
        try:
            await sidecar.run(done)
        finally:
            if watcher is not None:
                watcher.cancel()

    asyncio.run(main())


async def _watch_thread_event(stop: threading.Event, done: asyncio.Event) -> None:
    while not stop.is_set():
        await asyncio.sleep(0.05)
    done.set()


def fallback_market_gateway(
    config: AppConfig, paths: AppPaths, clock: Clock | None = None, metrics: Metrics | None = None
) -> MarketGateway:
    """The market data for the live fallback: no retries and a short timeout (the shared public
    call spacing still applies)."""
    timeout = min(config.exchange.timeout_seconds, FALLBACK_REST_TIMEOUT_SECONDS)
    exchange = config.exchange.model_copy(update={"timeout_seconds": timeout})
    short = config.model_copy(update={"exchange": exchange})
    return build_market_gateway(short, paths, clock=clock, retry=NO_RETRY, metrics=metrics)


def stored_universe(engine: Engine) -> Callable[[], list[PairMetadata]]:
    """A ``reload_pairs`` function: the universe stored in the app DB now."""
    repository = UniverseRepository(engine)
    return repository.load


def resolve_pairs(
    engine: Engine, market: MarketGateway, config: AppConfig, explicit: Sequence[str] | None
) -> list[PairMetadata]:
    """The pairs to stream: ``explicit`` ones (from the stored universe, else those listed), or
    the stored universe (built from the exchange, without storing it, when none is stored).
    """
    stored = {meta.canonical: meta for meta in UniverseRepository(engine).load()}
    if explicit:
        wanted = list(dict.fromkeys(explicit))
        missing = [pair for pair in wanted if pair not in stored]
        if missing:
            listed = market.listed_pairs()
            stored.update({e.metadata.canonical: e.metadata for e in listed})
        unknown = [pair for pair in wanted if pair not in stored]
        if unknown:
            raise UnknownPairError(f"unknown pair(s): {', '.join(unknown)}")
        chosen = [stored[pair] for pair in wanted]
    elif stored:
        chosen = list(stored.values())
    else:
        logger.warning("no universe stored yet: building one from the exchange (not stored)")
        chosen = fetch_universe(market, config.universe, config.region.default_quote).pairs
    streamable = [meta for meta in chosen if meta.ws_symbol]
    if len(streamable) < len(chosen):
        logger.warning("skipping pairs without a WebSocket name", extra={"count": len(chosen)})
    return streamable
