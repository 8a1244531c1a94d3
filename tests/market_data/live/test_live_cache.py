from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from krakked_core.clock import ManualClock
from krakked_core.market_data.live_cache import LiveBatch, LiveCache
from krakked_core.model.market import Bar, TickerSnapshot

T0 = 1_767_614_400  # 2026-01-05 12:00:00 UTC, a minute boundary
START = datetime.fromtimestamp(T0 + 10, tz=UTC)


def _bar(time: int, close: float = 100.0) -> Bar:
    return Bar(
        time=time, open=100.0, high=101.0, low=99.0, close=close, vwap=100.0, volume=1.0, count=3
    )


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def cache(clock: ManualClock) -> LiveCache:
    return LiveCache(clock, close_grace_seconds=2.0)


def test_running_bar_is_closed_when_a_later_interval_begins(cache: LiveCache) -> None:
    cache.on_bar("XBTUSD", "1m", _bar(T0, close=1))
    cache.on_bar("XBTUSD", "1m", _bar(T0, close=2))
    cache.on_bar("XBTUSD", "1m", _bar(T0 + 60, close=3))

    batch = cache.drain()

    assert batch.closed_bars == (("XBTUSD", "1m", _bar(T0, close=2)),)
    assert batch.running_bars == (("XBTUSD", "1m", _bar(T0 + 60, close=3)),)


def test_running_bar_is_closed_when_its_end_time_passes(
    cache: LiveCache, clock: ManualClock
) -> None:
    cache.on_bar("XBTUSD", "1m", _bar(T0))
    assert cache.drain().closed_bars == ()

    clock.set(datetime.fromtimestamp(T0 + 60 + 1, tz=UTC))  # within the grace
    assert cache.drain().closed_bars == ()
    clock.advance(1)
    batch = cache.drain()

    assert batch.closed_bars == (("XBTUSD", "1m", _bar(T0)),)
    assert batch.running_bars == ()
    assert cache.running_bar("XBTUSD", "1m") is None


def test_each_closed_bar_is_handed_out_once_and_late_updates_are_ignored(cache: LiveCache) -> None:
    cache.on_bar("XBTUSD", "1m", _bar(T0))
    cache.on_bar("XBTUSD", "1m", _bar(T0 + 60))
    first = cache.drain()
    cache.on_bar("XBTUSD", "1m", _bar(T0, close=999))  # a late trade for the closed bar
    cache.on_bar("XBTUSD", "1m", _bar(T0 + 60))  # snapshot after a reconnect: same running bar

    second = cache.drain()

    assert [b.time for _, _, b in first.closed_bars] == [T0]
    assert second.closed_bars == ()
    assert cache.late_updates == 1


def test_older_bars_of_a_snapshot_are_closed(cache: LiveCache) -> None:
    cache.on_bar("XBTUSD", "5m", _bar(T0 + 300))
    cache.on_bar("XBTUSD", "5m", _bar(T0))

    batch = cache.drain()

    assert batch.closed_bars == (("XBTUSD", "5m", _bar(T0)),)
    assert batch.running_bars == (("XBTUSD", "5m", _bar(T0 + 300)),)


def test_timeframes_and_pairs_are_tracked_apart(cache: LiveCache) -> None:
    cache.on_bar("XBTUSD", "1m", _bar(T0))
    cache.on_bar("XBTUSD", "5m", _bar(T0))
    cache.on_bar("ETHUSD", "1m", _bar(T0 + 60))

    batch = cache.drain()

    assert batch.closed_bars == ()
    assert len(batch.running_bars) == 3


def test_restored_batch_is_handed_out_again(cache: LiveCache, clock: ManualClock) -> None:
    snap = TickerSnapshot(
        pair="XBTUSD",
        bid=Decimal(1),
        ask=Decimal(2),
        last=Decimal("1.5"),
        volume_24h=Decimal(3),
        vwap_24h=Decimal("1.4"),
        updated_at=clock.now(),
    )
    cache.on_ticker(snap)
    cache.on_bar("XBTUSD", "1m", _bar(T0))
    cache.on_bar("XBTUSD", "1m", _bar(T0 + 60))
    failed = cache.drain()

    cache.restore(failed)

    assert cache.drain() == failed
    assert cache.drain() == LiveBatch()


def test_fresh_pairs_follow_ticker_age(cache: LiveCache, clock: ManualClock) -> None:
    for pair, age in (("XBTUSD", 0), ("ETHUSD", 30)):
        cache.on_ticker(
            TickerSnapshot(
                pair=pair,
                bid=Decimal(1),
                ask=Decimal(2),
                last=Decimal(1),
                volume_24h=Decimal(1),
                vwap_24h=Decimal(1),
                updated_at=clock.now() - timedelta(seconds=age),
            )
        )

    assert cache.fresh_pairs(10) == {"XBTUSD"}


def _partial(time: int) -> Bar:
    return Bar(time=time, open=100, high=100, low=100, close=100, vwap=100, volume=1, count=1)


def _settled(time: int) -> Bar:
    return Bar(time=time, open=100, high=104, low=97, close=102, vwap=101, volume=9, count=20)


def test_bar_of_a_channel_without_live_data_is_not_closed_by_the_clock(
    cache: LiveCache, clock: ManualClock
) -> None:
    key = ("XBTUSD", "1m")
    cache.on_bar(*key, _partial(T0))  # the last update before the socket went down
    clock.set(datetime.fromtimestamp(T0 + 200, tz=UTC))

    assert cache.drain(hold={key}).closed_bars == ()  # partial: not published as closed
    cache.on_bar(*key, _settled(T0), revise=True)  # REST fallback: the committed row
    cache.on_bar(*key, _partial(T0 + 60))  # and the running one, which closes it

    assert cache.drain(hold={key}).closed_bars == ((*key, _settled(T0)),)


def test_settled_bar_replaces_a_partial_one_already_closed_by_the_clock(
    cache: LiveCache, clock: ManualClock
) -> None:
    # The reviewer's case: closed at its end time with volume 1 / count 1 while the channel
    # was silent; the complete bar (volume 9 / count 20) from a snapshot or REST must win.
    key = ("XBTUSD", "1m")
    cache.on_bar(*key, _partial(T0))
    clock.set(datetime.fromtimestamp(T0 + 63, tz=UTC))
    assert cache.drain().closed_bars == ((*key, _partial(T0)),)

    cache.on_bar(*key, _settled(T0), revise=True)
    cache.on_bar(*key, _settled(T0), revise=True)  # the next poll repeats it: nothing new
    cache.on_bar(*key, _partial(T0))  # a plain late update still changes nothing

    assert cache.drain().closed_bars == ((*key, _settled(T0)),)
    assert cache.drain().closed_bars == ()
    assert cache.revisions == 1
    assert cache.late_updates == 2


def test_settled_bar_never_seen_fills_the_hole_and_old_ones_are_ignored(
    cache: LiveCache, clock: ManualClock
) -> None:
    key = ("XBTUSD", "1m")
    cache.on_bar(*key, _partial(T0))
    cache.on_bar(*key, _partial(T0 + 180))  # the socket missed T0+60 and T0+120 entirely
    cache.drain()

    cache.on_bar(*key, _settled(T0 + 60), revise=True)
    cache.on_bar(*key, _settled(T0 - 3600), revise=True)  # beyond the revision window

    assert cache.drain().closed_bars == ((*key, _settled(T0 + 60)),)


def test_bar_held_through_an_outage_and_superseded_unsettled_is_never_published_as_closed(
    cache: LiveCache, clock: ManualClock
) -> None:
    # The reviewer's scenario: a partial T0, the socket drops (held), and the reconnect
    # snapshot carries only the new running candle T1.
    key = ("XBTUSD", "1m")
    cache.on_bar(*key, _partial(T0))
    assert cache.drain(hold={key}).closed_bars == ()
    clock.set(datetime.fromtimestamp(T0 + 70, tz=UTC))
    cache.on_bar(*key, _partial(T0 + 60), revise=True)  # the snapshot after the reconnect

    published = [cache.drain(), cache.drain()]
    clock.advance(600)
    published.append(cache.drain())

    assert all(batch.closed_bars == () for batch in published[:2])
    assert cache.dropped_partial == 1
    # T1 is live again: it closes normally, and the settled T0 (REST) still fills the gap.
    assert published[2].closed_bars == ((*key, _partial(T0 + 60)),)
    cache.on_bar(*key, _settled(T0), revise=True)
    assert cache.drain().closed_bars == ((*key, _settled(T0)),)


def test_bar_held_then_settled_by_a_snapshot_of_its_own_time_is_published_settled(
    cache: LiveCache,
) -> None:
    key = ("XBTUSD", "1m")
    cache.on_bar(*key, _partial(T0))
    cache.drain(hold={key})  # the socket dropped while T0 was running
    cache.on_bar(*key, _settled(T0), revise=True)  # the reconnect snapshot: T0 as it stands
    cache.on_bar(*key, _partial(T0 + 60))

    assert cache.drain().closed_bars == ((*key, _settled(T0)),)
    assert cache.dropped_partial == 0


def test_bar_held_and_expired_unsettled_is_dropped_once_live_data_is_back(
    cache: LiveCache, clock: ManualClock
) -> None:
    key = ("XBTUSD", "1m")
    cache.on_bar(*key, _partial(T0))
    cache.drain(hold={key})
    clock.set(datetime.fromtimestamp(T0 + 200, tz=UTC))

    assert cache.drain().closed_bars == ()  # no longer held, but never settled
    assert cache.running_bar(*key) is None
    assert cache.dropped_partial == 1


def _ticker(clock: ManualClock, last: str) -> TickerSnapshot:
    return TickerSnapshot(
        pair="XBTUSD",
        bid=Decimal(1),
        ask=Decimal(2),
        last=Decimal(last),
        volume_24h=Decimal(1),
        vwap_24h=Decimal(1),
        updated_at=clock.now(),
    )


def test_after_the_clock_is_set_back_the_newest_ticker_still_replaces_the_held_one(
    cache: LiveCache, clock: ManualClock
) -> None:
    cache.on_ticker(_ticker(clock, "1"))
    cache.drain()
    clock.step(-3600)  # NTP or an operator sets the wall clock an hour back
    clock.advance(1)
    cache.on_ticker(_ticker(clock, "2"))

    latest = cache.latest_ticker("XBTUSD")
    batch = cache.drain()

    assert latest is not None and latest.last == Decimal("2")
    assert [snap.last for snap in batch.tickers] == [Decimal("2")]
    # Stated on the wall clock as it reads now: not an hour in the future.
    assert batch.tickers[0].updated_at == clock.now()
    assert cache.fresh_pairs(10) == {"XBTUSD"}


def test_a_clock_step_neither_freshens_nor_ages_a_ticker(
    cache: LiveCache, clock: ManualClock
) -> None:
    cache.on_ticker(_ticker(clock, "1"))
    clock.step(3600)
    assert cache.fresh_pairs(10) == {"XBTUSD"}  # received a moment ago, whatever the wall says
    (restated,) = cache.drain().tickers
    assert restated.updated_at == clock.now()

    clock.step(-7200)
    clock.advance(11)
    assert cache.fresh_pairs(10) == set()  # 11 s old, though the wall clock says earlier
    cache.on_ticker(_ticker(clock, "1"))
    (again,) = cache.drain().tickers
    assert again.updated_at == clock.now()
