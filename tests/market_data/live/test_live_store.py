import logging
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine, func, select

from krakked_core.clock import ManualClock
from krakked_core.db.server_clock import DatabaseServerClock, shared_clock
from krakked_core.errors import DataStaleError, DataUnavailableError
from krakked_core.market_data.live_cache import LiveCache
from krakked_core.market_data.live_store import LiveStore
from krakked_core.model.market import Bar, DataStatus, TickerSnapshot

START = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
TOLERANCE = 10.0


def _ticker(pair: str, at: datetime, last: str = "105899.123456789") -> TickerSnapshot:
    return TickerSnapshot(
        pair=pair,
        bid=Decimal("105944.20"),
        ask=Decimal("105944.30"),
        last=Decimal(last),
        volume_24h=Decimal("163.28908096"),
        vwap_24h=Decimal("105904.39279"),
        updated_at=at,
    )


def _bar(time: int, close: float = 100.0, count: int = 1) -> Bar:
    return Bar(
        time=time, open=99.0, high=101.0, low=98.0, close=close, vwap=100.0, volume=2.5, count=count
    )


def _status(fresh: tuple[str, ...], stale: tuple[str, ...] = ()) -> DataStatus:
    return DataStatus(
        rest_ok=True,
        ws_connected=True,
        last_message_at=START,
        fresh_pairs=fresh,
        stale_pairs=stale,
        subscription_errors=("ticker FOO/USD: Currency pair not supported",),
    )


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def store(engine: Engine, clock: ManualClock) -> LiveStore:
    return LiveStore(engine, clock, stale_tolerance_seconds=TOLERANCE)


def test_latest_ticker_before_any_data_is_unavailable(store: LiveStore) -> None:
    with pytest.raises(DataUnavailableError):
        store.latest_ticker("XBTUSD")


def test_latest_ticker_is_exact_and_fresh_then_stale_after_tolerance(
    store: LiveStore, clock: ManualClock
) -> None:
    store.publish(tickers=[_ticker("XBTUSD", START)])

    clock.advance(TOLERANCE)
    fresh = store.latest_ticker("XBTUSD")
    assert fresh.last == Decimal("105899.123456789")
    assert fresh.updated_at == START
    clock.advance(0.5)
    with pytest.raises(DataStaleError, match="XBTUSD"):
        store.latest_ticker("XBTUSD")


def test_newer_ticker_replaces_older(store: LiveStore, clock: ManualClock) -> None:
    store.publish(tickers=[_ticker("XBTUSD", START, last="1")])
    clock.advance(20)
    store.publish(tickers=[_ticker("XBTUSD", clock.now(), last="2")])

    assert store.latest_ticker("XBTUSD").last == Decimal("2")


def test_live_bar_unavailable_then_fresh_then_stale(store: LiveStore, clock: ManualClock) -> None:
    with pytest.raises(DataUnavailableError):
        store.live_bar("XBTUSD", "1m")
    store.publish(running_bars=[("XBTUSD", "1m", _bar(60))])

    assert store.live_bar("XBTUSD", "1m") == _bar(60)
    clock.advance(TOLERANCE + 1)
    with pytest.raises(DataStaleError):
        store.live_bar("XBTUSD", "1m")


def test_closed_bar_is_never_reopened_by_a_running_update(store: LiveStore) -> None:
    store.publish(running_bars=[("XBTUSD", "1m", _bar(60, close=1.0))])
    store.publish(closed_bars=[("XBTUSD", "1m", _bar(60, close=2.0))])
    store.publish(running_bars=[("XBTUSD", "1m", _bar(60, close=3.0))])

    assert store.closed_bars_since("XBTUSD", "1m", 0) == [_bar(60, close=2.0)]


def test_closed_bars_since_are_oldest_first_after_since_and_idempotent(store: LiveStore) -> None:
    closed = [("XBTUSD", "1m", _bar(t)) for t in (180, 60, 120)]
    store.publish(closed_bars=closed, running_bars=[("XBTUSD", "1m", _bar(240))])
    store.publish(closed_bars=closed)  # published again: no duplicates
    store.publish(closed_bars=[("ETHUSD", "1m", _bar(120)), ("XBTUSD", "5m", _bar(300))])

    assert store.closed_bars_since("XBTUSD", "1m", 60) == [_bar(120), _bar(180)]
    assert [b.time for b in store.closed_bars_since("XBTUSD", "1m", 0)] == [60, 120, 180]


def test_data_status_recomputes_freshness_against_now(store: LiveStore, clock: ManualClock) -> None:
    store.publish(
        tickers=[_ticker("XBTUSD", START), _ticker("ETHUSD", START - timedelta(seconds=5))],
        status=_status(fresh=("ETHUSD", "XBTUSD"), stale=("SOLUSD",)),
    )

    now = store.data_status()
    assert now.fresh_pairs == ("ETHUSD", "XBTUSD")
    assert now.stale_pairs == ("SOLUSD",)
    assert now.ws_connected and now.rest_ok
    assert now.subscription_errors == ("ticker FOO/USD: Currency pair not supported",)

    clock.advance(TOLERANCE - 2)  # ETHUSD is now 13 s old, XBTUSD 8 s
    later = store.data_status()
    assert later.fresh_pairs == ("XBTUSD",)
    assert later.stale_pairs == ("ETHUSD", "SOLUSD")
    assert later.ws_connected


def test_data_status_of_a_silent_sidecar_is_disconnected(
    store: LiveStore, clock: ManualClock
) -> None:
    store.publish(tickers=[_ticker("XBTUSD", START)], status=_status(fresh=("XBTUSD",)))
    clock.advance(TOLERANCE + 1)

    status = store.data_status()

    assert not status.ws_connected
    assert not status.rest_ok
    assert status.fresh_pairs == ()
    assert status.stale_pairs == ("XBTUSD",)
    assert status.last_message_at == START


def test_data_status_before_any_report(store: LiveStore) -> None:
    status = store.data_status()

    assert status == DataStatus(
        rest_ok=False,
        ws_connected=False,
        last_message_at=None,
        fresh_pairs=(),
        stale_pairs=(),
        subscription_errors=(),
    )


def test_prune_removes_only_old_closed_bars(store: LiveStore) -> None:
    store.publish(
        closed_bars=[("XBTUSD", "1m", _bar(60)), ("XBTUSD", "1m", _bar(120))],
        running_bars=[("XBTUSD", "1m", _bar(30))],
    )

    removed = store.prune_closed_bars(before_ts=120)

    assert removed == 1
    assert store.closed_bars_since("XBTUSD", "1m", 0) == [_bar(120)]
    assert store.live_bar("XBTUSD", "1m") == _bar(120)


def test_revised_closed_bar_replaces_the_published_values(engine: Engine) -> None:
    # Cache → store, end to end: the partial close is published, then the settled version.
    clock = ManualClock(START)
    store = LiveStore(engine, clock, TOLERANCE)
    cache = LiveCache(clock)
    t0 = int(START.timestamp())
    partial = Bar(time=t0, open=100, high=100, low=100, close=100, vwap=100, volume=1, count=1)
    settled = Bar(time=t0, open=100, high=104, low=97, close=102, vwap=101, volume=9, count=20)
    cache.on_bar("XBTUSD", "1m", partial)
    clock.advance(63)
    store.publish(closed_bars=cache.drain().closed_bars)
    assert store.closed_bars_since("XBTUSD", "1m", t0 - 1) == [partial]

    cache.on_bar("XBTUSD", "1m", settled, revise=True)
    store.publish(closed_bars=cache.drain().closed_bars)

    assert store.closed_bars_since("XBTUSD", "1m", t0 - 1) == [settled]


def test_stamps_in_the_future_are_stale_never_fresh_and_logged_once(
    store: LiveStore, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    store.publish(
        tickers=[_ticker("XBTUSD", START)],
        running_bars=[("XBTUSD", "1m", _bar(60))],
        status=_status(fresh=("XBTUSD",)),
    )
    clock.step(-3600)  # the shared clock is set an hour back: every stamp is now ahead of it

    with caplog.at_level(logging.WARNING, logger="krakked_core.market_data.live_store"):
        for _ in range(3):
            with pytest.raises(DataStaleError, match="future"):
                store.latest_ticker("XBTUSD")
            with pytest.raises(DataStaleError, match="future"):
                store.live_bar("XBTUSD", "1m")
            status = store.data_status()
            assert status.fresh_pairs == () and status.stale_pairs == ("XBTUSD",)
            assert not status.ws_connected and not status.rest_ok

    warned = [r.getMessage() for r in caplog.records]
    assert sorted(warned) == sorted(
        f"{what} is stamped in the future: treated as stale until its stamps are sane"
        for what in ("XBTUSD ticker", "XBTUSD 1m bar", "the sidecar's status")
    )
    # Published again on the clock as it reads now: fresh.
    store.publish(tickers=[_ticker("XBTUSD", clock.now())])
    assert store.latest_ticker("XBTUSD").updated_at == clock.now()


def test_a_stamp_within_the_future_tolerance_is_fresh(store: LiveStore, clock: ManualClock) -> None:
    store.publish(tickers=[_ticker("XBTUSD", START + timedelta(seconds=1))])

    assert store.latest_ticker("XBTUSD").last == Decimal("105899.123456789")


@pytest.mark.parametrize("writer_skew", [3600.0, -3600.0])
def test_a_skewed_writer_keeps_its_ages_on_the_shared_clock(
    engine: Engine, clock: ManualClock, writer_skew: float
) -> None:
    # The writer's host clock is an hour off the shared clock (``clock``); it states what it
    # publishes on its own clock (``as_of``) and the store keeps the ages, not the skew.
    writer_host = ManualClock(START + timedelta(seconds=writer_skew))
    writer = LiveStore(engine, clock, TOLERANCE)
    reader = LiveStore(engine, clock, TOLERANCE)
    received = writer_host.now() - timedelta(seconds=4)
    writer.publish(
        tickers=[_ticker("XBTUSD", received)],
        status=DataStatus(
            rest_ok=True,
            ws_connected=True,
            last_message_at=received,
            fresh_pairs=("XBTUSD",),
            stale_pairs=(),
            subscription_errors=(),
        ),
        as_of=writer_host.now(),
    )

    assert reader.latest_ticker("XBTUSD").updated_at == START - timedelta(seconds=4)
    assert reader.data_status().last_message_at == START - timedelta(seconds=4)
    assert reader.data_status().fresh_pairs == ("XBTUSD",)
    clock.advance(50 * 60)  # the sidecar died 50 minutes ago: its last price is stale
    with pytest.raises(DataStaleError, match="old"):
        reader.latest_ticker("XBTUSD")
    assert reader.data_status().fresh_pairs == ()
    assert not reader.data_status().ws_connected


def test_the_shared_clock_is_the_servers_on_postgresql_and_the_hosts_on_sqlite(
    engine: Engine,
) -> None:
    host = ManualClock(datetime.now(UTC) + timedelta(hours=1))

    shared = shared_clock(engine, host)

    if engine.dialect.name == "sqlite":  # one host: its clock is everybody's
        assert shared is host
        return
    assert isinstance(shared, DatabaseServerClock)
    # The server's own clock, not the skewed host's (compared with the server's now(), not the
    # system clock: a test run under faketime fakes this process's clock, not the server's).
    with engine.connect() as conn:
        server_now = conn.execute(select(func.now())).scalar_one()
    assert abs(shared.now() - server_now) < timedelta(seconds=30)
    assert abs(shared.now() - host.now()) > timedelta(minutes=30)


@pytest.mark.pg
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)  # one host per SQLite file
def test_hosts_an_hour_apart_agree_on_ages_through_the_postgresql_servers_clock(
    engine: Engine,
) -> None:
    real = datetime.now(UTC)
    writer_host = ManualClock(real + timedelta(hours=1))
    reader_host = ManualClock(real - timedelta(hours=1))
    writer = LiveStore(engine, shared_clock(engine, writer_host), TOLERANCE)
    reader = LiveStore(engine, shared_clock(engine, reader_host), TOLERANCE)
    cache = LiveCache(writer_host)

    cache.on_ticker(_ticker("XBTUSD", writer_host.now(), last="1"))
    batch = cache.drain()
    writer.publish(tickers=batch.tickers, as_of=batch.as_of)
    assert reader.latest_ticker("XBTUSD").last == Decimal("1")  # just received: fresh

    cache.on_ticker(_ticker("ETHUSD", writer_host.now(), last="2"))
    writer_host.advance(50 * 60)  # held 50 minutes by the writer before it got published
    batch = cache.drain()
    writer.publish(tickers=batch.tickers, as_of=batch.as_of)
    with pytest.raises(DataStaleError, match="old"):
        reader.latest_ticker("ETHUSD")


def test_data_status_when_loops_stopped_then_named_until_a_status_without_them(
    store: LiveStore,
) -> None:
    stopped = ("dead-man switch: AuthError: EAPI:Invalid key", "universe reload: Boom: x: y")
    store.publish(status=_status(("XBTUSD",)).model_copy(update={"stopped_loops": stopped}))

    assert store.data_status().stopped_loops == stopped

    store.publish(status=_status(("XBTUSD",)))  # a restarted sidecar: nothing stopped

    assert store.data_status().stopped_loops == ()
