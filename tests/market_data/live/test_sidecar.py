"""The sidecar against the sandbox: fresh data through WebSocket drops, clean stop, CLI."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from krakked_core.cli import app
from krakked_core.clock import ManualClock, SystemClock
from krakked_core.config import AppConfig
from krakked_core.connection import KrakenRestClient
from krakked_core.connection.market_gateway import KrakenMarketGateway
from krakked_core.db import make_engine, upgrade
from krakked_core.errors import (
    DataStaleError,
    DataUnavailableError,
    NetworkError,
    ServiceUnavailableError,
)
from krakked_core.market_data.live_store import LiveStore
from krakked_core.market_data.universe import UniverseBuild, UniverseRepository
from krakked_core.model.pairs import PairMetadata
from krakked_core.paths import AppPaths
from krakked_core.sidecar import Sidecar, fallback_market_gateway, stored_universe
from krakked_core.sim import FaultProfile
from tests.fakes.sidecar import FAST_WS, sidecar_thread
from tests.market_data.live.conftest import wait_until

PAIRS = ("XBTUSD", "XDGUSD")
TOLERANCE = FAST_WS["stale_tolerance_seconds"]


def _faults(**kwargs: Any) -> FaultProfile:
    return FaultProfile(**kwargs)


def test_sidecar_with_ws_drops_keeps_data_fresh_and_never_serves_stale_as_fresh(
    sim: Any,
    live_config: AppConfig,
    sim_pairs: dict[str, PairMetadata],
    rest: KrakenRestClient,
    tmp_path: Path,
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'live.db'}")
    upgrade(engine)
    clock = SystemClock()
    sidecar = Sidecar(
        config=live_config,
        store=LiveStore(engine, clock, TOLERANCE),
        pairs=[sim_pairs[p] for p in PAIRS],
        clock=clock,
        rest=KrakenMarketGateway(rest, clock),
    )
    reader = LiveStore(engine, clock, TOLERANCE)
    sim.set_faults(_faults(drop_every_seconds=1.0))
    with sidecar_thread(sidecar):
        wait_until(lambda: _has_ticker(reader, "XDGUSD"), what="first published ticker")
        fresh = stale = 0
        while sidecar.client.counters.reconnects < 4:
            for pair in PAIRS:
                try:
                    ticker = reader.latest_ticker(pair)
                except DataStaleError:
                    stale += 1
                    continue
                assert clock.now() - ticker.updated_at <= timedelta(seconds=TOLERANCE)
                fresh += 1
            time.sleep(0.1)
        assert fresh > 0
        assert stale == 0
        assert reader.data_status().fresh_pairs == PAIRS
    assert sidecar.publish_errors == 0
    status = reader.data_status()
    assert not status.ws_connected  # the last batch reported the socket closed
    # Once the sidecar is gone, its data ages into DataStaleError, never into "fresh".
    later = LiveStore(
        engine, ManualClock(clock.now() + timedelta(seconds=TOLERANCE + 1)), TOLERANCE
    )
    with pytest.raises(DataStaleError):
        later.latest_ticker("XBTUSD")
    assert later.data_status().stale_pairs == PAIRS


def _has_ticker(store: LiveStore, pair: str) -> bool:
    try:
        store.latest_ticker(pair)
    except DataUnavailableError:
        return False
    return True


@pytest.mark.e2e
def test_sidecar_process_exits_0_on_sigterm_after_flushing_and_data_status_reports(
    sim: Any, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    engine = make_engine(url)
    upgrade(engine)
    env = {
        **os.environ,
        "KRAKKED_DB__URL": url,
        "KRAKKED_EXCHANGE__REST_URL": sim.rest_url,
        "KRAKKED_EXCHANGE__WS_URL": sim.ws_url,
        "KRAKKED_MARKET_DATA__TIMEFRAMES": "[1m]",
        **{f"KRAKKED_MARKET_DATA__WS__{k.upper()}": str(v) for k, v in FAST_WS.items()},
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "krakked_core.cli", "sidecar", "--pairs", ",".join(PAIRS)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    reader = LiveStore(engine, SystemClock(), TOLERANCE)
    try:
        wait_until(
            lambda: (
                proc.poll() is None
                and reader.data_status().ws_connected
                and reader.data_status().fresh_pairs == PAIRS
            ),
            timeout=30,
            what="the sidecar process publishing",
        )
    finally:
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=20)
    assert proc.returncode == 0, stderr.decode()[-2000:]
    assert not reader.data_status().ws_connected  # the final batch was flushed

    result = CliRunner().invoke(app, ["data-status", "--json"], env={"KRAKKED_DB__URL": url})

    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert set(shown) == {
        "rest_ok",
        "ws_connected",
        "last_message_at",
        "fresh_pairs",
        "stale_pairs",
        "subscription_errors",
    }
    assert shown["ws_connected"] is False
    assert set(shown["fresh_pairs"]) | set(shown["stale_pairs"]) == set(PAIRS)


def test_sidecar_publishes_a_bar_closed_by_its_end_time_once(
    sim: Any, live_config: AppConfig, sim_pairs: dict[str, PairMetadata], tmp_path: Path
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'live.db'}")
    upgrade(engine)
    # The sidecar's clock jumps past the bar's end. The heartbeat watchdog is set to outlast
    # the jump; the channel watchdog is not, so it resubscribes and the snapshot repeats the bar.
    ws = {**FAST_WS, "heartbeat_timeout_seconds": 600, "silent_channel_seconds": 30}
    config = live_config.model_copy(
        update={
            "market_data": live_config.market_data.model_copy(
                update={
                    "timeframes": ("1m",),
                    "ws": live_config.market_data.ws.model_copy(update=ws),
                }
            )
        }
    )
    clock = ManualClock(SystemClock().now())
    sidecar = Sidecar(
        config=config,
        store=LiveStore(engine, clock, TOLERANCE),
        pairs=[sim_pairs["XBTUSD"]],
        clock=clock,
        rest=None,
    )
    reader = LiveStore(engine, clock, TOLERANCE)
    with sidecar_thread(sidecar):
        wait_until(lambda: _has_bar(reader, "XBTUSD"), what="a running bar")
        running = reader.live_bar("XBTUSD", "1m")
        assert reader.closed_bars_since("XBTUSD", "1m", running.time - 1) == []
        grace = config.market_data.ws.bar_close_grace_seconds
        clock.advance(running.time + 60 + grace - clock.now().timestamp() + 0.1)

        wait_until(
            lambda: len(reader.closed_bars_since("XBTUSD", "1m", running.time - 1)) == 1,
            what="the closed bar",
        )
        (closed,) = reader.closed_bars_since("XBTUSD", "1m", running.time - 1)
        assert closed.time == running.time
        # Another silent spell: the resubscribe's snapshot repeats that candle (for the exchange
        # still running). It is not reopened: it stays closed, unchanged, or revised to the
        # snapshot's values if trades came meanwhile. (Unless the exchange's minute rolled over.)
        clock.advance(config.market_data.ws.silent_channel_seconds + 1)
        cache = sidecar.cache
        wait_until(
            lambda: cache.late_updates + cache.revisions >= 1 or _newer_bar(sidecar, closed.time),
            what="a late update",
        )
        published = sidecar.batches_published
        wait_until(lambda: sidecar.batches_published > published + 1, what="more batches")
        [after] = reader.closed_bars_since("XBTUSD", "1m", running.time - 1)
        assert after.time == closed.time
        assert after == closed or cache.revisions >= 1


def _has_bar(store: LiveStore, pair: str) -> bool:
    try:
        store.live_bar(pair, "1m")
    except DataUnavailableError:
        return False
    return True


def _newer_bar(sidecar: Sidecar, time: int) -> bool:
    bar = sidecar.cache.running_bar("XBTUSD", "1m")
    return bar is not None and bar.time > time


def test_sidecar_follows_the_stored_universe_as_it_changes(
    sim: Any,
    live_config: AppConfig,
    sim_pairs: dict[str, PairMetadata],
    rest: KrakenRestClient,
    tmp_path: Path,
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'live.db'}")
    upgrade(engine)
    repository = UniverseRepository(engine)
    clock = SystemClock()
    by_name = sim_pairs

    def store_universe(*names: str) -> None:
        build = UniverseBuild([by_name[n] for n in names], {}, {}, candidates=len(names))
        repository.save(build, clock.now())

    store_universe("XBTUSD")
    ws = live_config.market_data.ws.model_copy(update={"universe_reload_seconds": 0.2})
    config = live_config.model_copy(
        update={"market_data": live_config.market_data.model_copy(update={"ws": ws})}
    )
    sidecar = Sidecar(
        config=config,
        store=LiveStore(engine, clock, TOLERANCE),
        pairs=[by_name["XBTUSD"]],
        clock=clock,
        rest=KrakenMarketGateway(rest, clock),
        reload_pairs=stored_universe(engine),
    )
    reader = LiveStore(engine, clock, TOLERANCE)
    with sidecar_thread(sidecar):
        wait_until(lambda: _has_ticker(reader, "XBTUSD"), what="the first pair streaming")
        store_universe("ETHUSD", "XBTUSD")  # refresh adds
        wait_until(lambda: _has_ticker(reader, "ETHUSD"), what="the added pair streaming")
        assert reader.data_status().fresh_pairs == ("ETHUSD", "XBTUSD")

        store_universe("ETHUSD")  # and drops
        wait_until(lambda: sidecar.pairs == ("ETHUSD",), what="the pair dropped")
        assert sidecar.client.pairs == ("ETHUSD",)
        wait_until(lambda: reader.data_status().fresh_pairs == ("ETHUSD",), what="status")
        store_universe()  # an empty universe is ignored, not obeyed
        time.sleep(0.6)
        assert sidecar.pairs == ("ETHUSD",)
    assert sidecar.client.counters.unknown == 0  # data after the unsubscribe is expected


def test_sidecar_command_refuses_an_unknown_pair(sim: Any, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    upgrade(make_engine(url))
    env = {
        "KRAKKED_DB__URL": url,
        "KRAKKED_EXCHANGE__REST_URL": sim.rest_url,
        "KRAKKED_EXCHANGE__WS_URL": sim.ws_url,
    }

    result = CliRunner().invoke(app, ["sidecar", "--pairs", "XBTUSD,NOPEUSD"], env=env)

    assert result.exit_code == 1
    assert "NOPEUSD" in result.output


def test_data_status_command_needs_a_migrated_database(tmp_path: Path) -> None:
    env = {"KRAKKED_DB__URL": f"sqlite:///{tmp_path / 'empty.db'}"}

    result = CliRunner().invoke(app, ["data-status"], env=env)

    assert result.exit_code == 1
    assert "krakked db upgrade" in result.output


def _sidecar_config(live_config: AppConfig, **ws: Any) -> AppConfig:
    updated = live_config.market_data.ws.model_copy(update=ws)
    return live_config.model_copy(
        update={"market_data": live_config.market_data.model_copy(update={"ws": updated})}
    )


def test_sidecar_stops_promptly_with_a_rest_call_in_flight_and_flushes_the_last_batch(
    sim: Any,
    live_config: AppConfig,
    sim_pairs: dict[str, PairMetadata],
    rest: KrakenRestClient,
    tmp_path: Path,
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'live.db'}")
    upgrade(engine)
    clock = SystemClock()
    # The fallback's start-up probe (Time) is held by the exchange for 8 s, and the default
    # client would retry it: stopping must not wait for either.
    sim.set_faults(_faults(timeout=1.0, timeout_seconds=8.0, methods=frozenset({"Time"})))
    sidecar = Sidecar(
        config=live_config,
        store=LiveStore(engine, clock, TOLERANCE),
        pairs=[sim_pairs["XBTUSD"]],
        clock=clock,
        rest=KrakenMarketGateway(rest, clock),
    )
    reader = LiveStore(engine, clock, TOLERANCE)
    with sidecar_thread(sidecar, stop_within=4):
        wait_until(lambda: _has_ticker(reader, "XBTUSD"), what="first published ticker")
        assert reader.data_status().ws_connected
        assert sidecar.client.rest_ok is False  # the probe has not answered: still in flight
        # Healthy again, so the abandoned probe's retries end (the one held stays in flight).
        sim.set_faults(FaultProfile())
    assert not reader.data_status().ws_connected  # the last batch was flushed


def test_fallback_rest_client_gives_up_after_one_short_try(
    sim: Any, live_config: AppConfig, app_paths: AppPaths
) -> None:
    sim.set_faults(_faults(timeout=1.0, timeout_seconds=8.0, methods=frozenset({"Time"})))
    exchange = live_config.exchange.model_copy(update={"timeout_seconds": 0.3})
    market = fallback_market_gateway(
        live_config.model_copy(update={"exchange": exchange}), app_paths
    )
    errors: list[Exception] = []

    def call() -> None:
        try:
            market.check_reachable()
        except NetworkError as exc:
            errors.append(exc)

    thread = threading.Thread(target=call)
    thread.start()
    thread.join(3)  # four tries with backoff would take 8 s and more

    assert not thread.is_alive()
    assert len(errors) == 1


class _FailingSwitch:
    """A dead-man switch whose every refresh fails, as Kraken does when it is unavailable."""

    refresh_interval_seconds = 0.1

    def __init__(self) -> None:
        self.refreshes = 0

    def refresh(self) -> None:
        self.refreshes += 1
        raise ServiceUnavailableError("EService:Unavailable")


def test_sidecar_survives_failing_reloads_bad_pairs_and_dead_man_switch_errors(
    sim: Any, live_config: AppConfig, sim_pairs: dict[str, PairMetadata], tmp_path: Path
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'live.db'}")
    upgrade(engine)
    clock = SystemClock()
    bad = sim_pairs["ETHUSD"].model_copy(update={"canonical": "BADUSD", "ws_symbol": "BADUSD"})
    answers: list[Any] = [
        RuntimeError("the universe table is being rebuilt"),
        [sim_pairs["XBTUSD"], bad, sim_pairs["ETHUSD"]],
    ]
    reloads = 0

    def reload() -> list[PairMetadata]:
        nonlocal reloads
        reloads += 1
        answer = answers[min(reloads, len(answers)) - 1]
        if isinstance(answer, Exception):
            raise answer
        return list(answer)

    switch = _FailingSwitch()
    sidecar = Sidecar(
        config=_sidecar_config(live_config, universe_reload_seconds=0.2),
        store=LiveStore(engine, clock, TOLERANCE),
        pairs=[sim_pairs["XBTUSD"]],
        clock=clock,
        rest=None,
        dead_man_switch=switch,
        reload_pairs=reload,
    )
    reader = LiveStore(engine, clock, TOLERANCE)
    with sidecar_thread(sidecar) as thread:
        wait_until(lambda: _has_ticker(reader, "ETHUSD"), what="the good added pair streaming")
        wait_until(lambda: switch.refreshes >= 3, what="refreshes after failures")
        assert thread.is_alive()
        assert sidecar.pairs == ("ETHUSD", "XBTUSD")  # the bad pair skipped
        published = sidecar.batches_published
        wait_until(lambda: sidecar.batches_published > published, what="still publishing")
    assert reloads >= 2
