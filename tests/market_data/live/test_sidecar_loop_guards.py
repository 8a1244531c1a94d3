"""The sidecar's loops obey the error tree: temporary errors are retried; an auth or nonce error
stops that loop (retrying earns a lockout or hides a nonce bug), is logged once, and shows in
the feed status, while the other loops go on."""

import asyncio
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from krakked_core.clock import SystemClock
from krakked_core.config import AppConfig
from krakked_core.db import make_engine, upgrade
from krakked_core.errors import (
    AuthError,
    InvalidNonceError,
    ServiceUnavailableError,
    VenueError,
)
from krakked_core.market_data.live_store import LiveStore
from krakked_core.model.pairs import PairMetadata
from krakked_core.sidecar import Sidecar
from tests.fakes.sidecar import FAST_WS
from tests.market_data.live.conftest import async_wait_until

STOPPING = [
    AuthError("EAPI:Invalid key"),
    InvalidNonceError("EAPI:Invalid nonce"),
]


class _Switch:
    """A dead-man switch whose every refresh fails with ``error``."""

    refresh_interval_seconds = 0.05

    def __init__(self, error: VenueError) -> None:
        self.error = error
        self.refreshes = 0

    def refresh(self) -> None:
        self.refreshes += 1
        raise self.error


def _sidecar(
    config: AppConfig,
    pairs: Sequence[PairMetadata],
    tmp_path: Path,
    **kwargs: Any,
) -> tuple[Sidecar, LiveStore]:
    engine = make_engine(f"sqlite:///{tmp_path / 'live.db'}")
    upgrade(engine)
    clock = SystemClock()
    ws = config.market_data.ws.model_copy(update={"universe_reload_seconds": 0.05})
    config = config.model_copy(
        update={"market_data": config.market_data.model_copy(update={"ws": ws})}
    )
    store = LiveStore(engine, clock, FAST_WS["stale_tolerance_seconds"])
    sidecar = Sidecar(config=config, store=store, pairs=pairs, clock=clock, rest=None, **kwargs)
    return sidecar, LiveStore(engine, clock, FAST_WS["stale_tolerance_seconds"])


def _run(sidecar: Sidecar, scenario: Callable[[], Any]) -> None:
    async def main() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(sidecar.run(stop))
        try:
            await scenario()
        finally:
            stop.set()
            await asyncio.wait_for(task, 10)

    asyncio.run(main())


async def _more_batches(sidecar: Sidecar, count: int) -> None:
    published = sidecar.batches_published
    await async_wait_until(
        lambda: sidecar.batches_published >= published + count, what="more batches"
    )


async def _stopped_after_one_round(
    sidecar: Sidecar, reader: LiveStore, rounds: Callable[[], int]
) -> str:
    """Wait for a loop's first round and many of its intervals; it ran once and stopped: the
    status names it (what it says is returned)."""
    await async_wait_until(lambda: rounds() >= 1, what="the first round")
    await _more_batches(sidecar, 3)  # many intervals later
    assert rounds() == 1
    (stopped,) = reader.data_status().stopped_loops
    return stopped


def _loud_records(caplog: pytest.LogCaptureFixture, text: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.ERROR and text in r.getMessage()]


@pytest.mark.parametrize("error", STOPPING, ids=lambda e: type(e).__name__)
def test_dead_man_switch_when_auth_or_nonce_error_then_loop_stops_logs_once_and_status_shows_it(
    error: VenueError,
    live_config: AppConfig,
    sim_pairs: dict[str, PairMetadata],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    switch = _Switch(error)
    sidecar, reader = _sidecar(live_config, [sim_pairs["XBTUSD"]], tmp_path, dead_man_switch=switch)

    async def scenario() -> None:
        stopped = await _stopped_after_one_round(sidecar, reader, lambda: switch.refreshes)
        assert stopped.startswith("dead-man switch: ")
        assert type(error).__name__ in stopped
        assert sidecar.status().stopped_loops == (stopped,)

    with caplog.at_level(logging.INFO):
        _run(sidecar, scenario)
    assert len(_loud_records(caplog, "dead-man switch")) == 1


def test_dead_man_switch_when_temporary_error_then_retried_and_no_loop_stopped(
    live_config: AppConfig, sim_pairs: dict[str, PairMetadata], tmp_path: Path
) -> None:
    switch = _Switch(ServiceUnavailableError("EService:Unavailable"))
    sidecar, reader = _sidecar(live_config, [sim_pairs["XBTUSD"]], tmp_path, dead_man_switch=switch)

    async def scenario() -> None:
        await async_wait_until(lambda: switch.refreshes >= 3, what="refreshes retried")
        await _more_batches(sidecar, 1)
        assert reader.data_status().stopped_loops == ()

    _run(sidecar, scenario)


@pytest.mark.parametrize("error", STOPPING, ids=lambda e: type(e).__name__)
def test_universe_reload_when_auth_or_nonce_error_then_that_loop_stops_and_streaming_goes_on(
    error: VenueError,
    live_config: AppConfig,
    sim_pairs: dict[str, PairMetadata],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    reloads = 0

    def reload() -> list[PairMetadata]:
        nonlocal reloads
        reloads += 1
        raise error

    sidecar, reader = _sidecar(live_config, [sim_pairs["XBTUSD"]], tmp_path, reload_pairs=reload)

    async def scenario() -> None:
        stopped = await _stopped_after_one_round(sidecar, reader, lambda: reloads)
        assert stopped.startswith("universe reload: ")
        assert reader.latest_ticker("XBTUSD").pair == "XBTUSD"  # the feed streams on

    with caplog.at_level(logging.INFO):
        _run(sidecar, scenario)
    assert len(_loud_records(caplog, "universe reload")) == 1
