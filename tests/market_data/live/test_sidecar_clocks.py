"""The sidecar against the sandbox when clocks disagree or are set: a stale price is never fresh.

Two hosts sharing the database judge ages on one shared clock (``clock``, the PostgreSQL
server's in production); the sidecar's own host clock may be off it, or be stepped.
"""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from krakked_core.clock import ManualClock
from krakked_core.config import AppConfig
from krakked_core.errors import DataStaleError, DataUnavailableError
from krakked_core.market_data.live_store import LiveStore
from krakked_core.model.market import TickerSnapshot
from krakked_core.model.pairs import PairMetadata
from krakked_core.sidecar import Sidecar
from tests.fakes.sidecar import FAST_WS, sidecar_thread
from tests.market_data.live.conftest import wait_until

TOLERANCE = FAST_WS["stale_tolerance_seconds"]


def _sidecar(
    engine: Engine, config: AppConfig, pair: PairMetadata, host: ManualClock, shared: ManualClock
) -> Sidecar:
    one_timeframe = config.market_data.model_copy(update={"timeframes": ("1m",)})
    return Sidecar(
        config=config.model_copy(update={"market_data": one_timeframe}),
        store=LiveStore(engine, shared, TOLERANCE),
        pairs=[pair],
        clock=host,
        rest=None,
    )


def _ticker(store: LiveStore, pair: str) -> TickerSnapshot | None:
    try:
        return store.latest_ticker(pair)
    except (DataUnavailableError, DataStaleError):
        return None


@pytest.mark.parametrize("host_skew", [3600.0, -3600.0])
def test_a_sidecar_whose_clock_is_an_hour_off_publishes_true_ages(
    engine: Engine,
    sim: Any,
    live_config: AppConfig,
    sim_pairs: dict[str, PairMetadata],
    host_skew: float,
) -> None:
    now = datetime.now(UTC)
    shared = ManualClock(now)
    host = ManualClock(now + timedelta(seconds=host_skew))
    reader = LiveStore(engine, shared, TOLERANCE)
    sidecar = _sidecar(engine, live_config, sim_pairs["XBTUSD"], host, shared)

    with sidecar_thread(sidecar):
        wait_until(lambda: _ticker(reader, "XBTUSD") is not None, what="a fresh ticker")
    ticker = reader.latest_ticker("XBTUSD")
    assert abs(shared.now() - ticker.updated_at) <= timedelta(seconds=TOLERANCE)

    shared.advance(50 * 60)  # the sidecar stopped 50 minutes ago
    with pytest.raises(DataStaleError, match="old"):
        reader.latest_ticker("XBTUSD")
    assert reader.data_status().fresh_pairs == ()


def test_prices_keep_flowing_fresh_when_the_sidecar_clock_is_stepped_back_and_forward(
    engine: Engine, sim: Any, live_config: AppConfig, sim_pairs: dict[str, PairMetadata]
) -> None:
    clock = ManualClock(datetime.now(UTC))  # one host: the sidecar's clock is the shared one
    reader = LiveStore(engine, clock, TOLERANCE)
    sidecar = _sidecar(engine, live_config, sim_pairs["XBTUSD"], clock, clock)

    def republished_since(step: datetime) -> Callable[[], bool]:
        def check() -> bool:
            ticker = _ticker(reader, "XBTUSD")
            return ticker is not None and ticker.updated_at <= step + timedelta(seconds=1)

        return check

    with sidecar_thread(sidecar):
        wait_until(lambda: _ticker(reader, "XBTUSD") is not None, what="a fresh ticker")
        for seconds in (-3600, 3600):
            stepped = clock.step(seconds)
            # New tickers replace the held one and are stamped on the stepped clock (a clock
            # set back used to freeze the price for an hour, stamped in the future).
            wait_until(republished_since(stepped), what=f"tickers after {seconds:+} s")
            assert "XBTUSD" in sidecar.status().fresh_pairs
            assert reader.data_status().fresh_pairs == ("XBTUSD",)
