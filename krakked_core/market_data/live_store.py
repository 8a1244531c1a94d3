"""The live market data in the app DB: the sidecar writes it, any process reads it.

Readers never pass stale data off as fresh: a ticker or live bar older than the tolerance raises
``DataStaleError``, and nothing at all raises ``DataUnavailableError``.

Whose clock judges the age: the writer (the sidecar) and the readers may run on different hosts
sharing PostgreSQL, and their wall clocks differ. Stamping with the writer's clock and comparing
with the reader's turned a skew into a wrong age: a writer an hour ahead made a 50-minute-old
price look fresh. So both sides use one clock, the store's ``clock``: the composition roots pass
``shared_clock`` (the PostgreSQL server's clock; on SQLite, one host, the host's). The writer
brings its items' ages, measured on its own clock, across: ``publish(as_of=...)`` says what its
clock read when the items were stated, and each stamp becomes the shared clock's now less that
age. A stamp more than ``FUTURE_TOLERANCE`` ahead of the shared clock (that clock set back since,
or a writer not using it) is suspect: stale, never fresh, and logged when an item turns so (not
on every read). A dead sidecar still shows up as stale data within the tolerance.
"""

import json
import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, RowMapping, Table, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.elements import ColumnElement

from krakked_core.clock import Clock
from krakked_core.db.live_tables import data_status, data_status_loops, live_bars, live_ticker
from krakked_core.errors import DatabaseError, DataStaleError, DataUnavailableError
from krakked_core.model.market import Bar, DataStatus, TickerSnapshot, Timeframe

logger = logging.getLogger(__name__)

KeyedBar = tuple[str, Timeframe, Bar]  # (canonical pair, timeframe, bar)
# How far ahead of the shared clock a stamp may be before it is suspect (a clock set back).
FUTURE_TOLERANCE = timedelta(seconds=2)

STATUS_ROW_ID = 1
_BAR_VALUES = ("open", "high", "low", "close", "vwap", "volume", "count")


class LiveStore:
    """Latest tickers, live and closed bars, and the feed status, in the app database."""

    def __init__(self, engine: Engine, clock: Clock, stale_tolerance_seconds: float) -> None:
        if stale_tolerance_seconds <= 0:
            raise ValueError("stale_tolerance_seconds must be positive")
        self._engine = engine
        self._clock = clock
        self._tolerance = timedelta(seconds=stale_tolerance_seconds)
        self._in_future: set[str] = set()  # items stamped in the future: logged on entering

    # --- writer (the sidecar) -------------------------------------------------------------

    def publish(
        self,
        tickers: Sequence[TickerSnapshot] = (),
        closed_bars: Sequence[KeyedBar] = (),
        running_bars: Sequence[KeyedBar] = (),
        status: DataStatus | None = None,
        as_of: datetime | None = None,
    ) -> None:
        """Write one batch in one transaction: all of it lands, or none of it.

        ``as_of``: the writer's clock when the tickers' ``updated_at`` and the status's
        ``last_message_at`` were stated; they are moved onto the store's clock, keeping their
        ages (None: they are on it already). Bars are stamped with the store clock's now (the
        sidecar publishes within a second of receiving them). A closed bar is never turned back
        into a running one, and closing a bar keeps the time its data last arrived.
        """
        now = _utc(self._clock.now())
        shift = timedelta(0) if as_of is None else now - _utc(as_of)
        with self._engine.begin() as conn:
            if tickers:
                rows = [_ticker_row(t, shift) for t in tickers]
                _upsert(conn, live_ticker, rows, ("pair",))
            if running_bars:
                rows = [_bar_row(key, closed=False, now=now) for key in running_bars]
                _upsert(conn, live_bars, rows, ("pair", "timeframe", "time"), running=True)
            if closed_bars:
                rows = [_bar_row(key, closed=True, now=now) for key in closed_bars]
                _upsert(conn, live_bars, rows, ("pair", "timeframe", "time"))
            if status is not None:
                _upsert(conn, data_status, [_status_row(status, now, shift)], ("id",))
                _replace_stopped_loops(conn, status.stopped_loops)

    def prune_closed_bars(self, before_ts: int) -> int:
        """Delete closed bars opening before ``before_ts`` (history lives in the OHLC store)."""
        query = delete(live_bars).where(live_bars.c.closed.is_(True), live_bars.c.time < before_ts)
        with self._engine.begin() as conn:
            return conn.execute(query).rowcount

    # --- readers --------------------------------------------------------------------------

    def latest_ticker(self, pair: str) -> TickerSnapshot:
        """The pair's latest ticker; DataStaleError when too old, DataUnavailableError if none."""
        with self._engine.connect() as conn:
            row = conn.execute(select(live_ticker).where(live_ticker.c.pair == pair)).first()
        if row is None:
            raise DataUnavailableError(f"no live ticker for {pair} yet (is the sidecar running?)")
        updated_at = _utc(row.updated_at)
        self._check_fresh(updated_at, f"{pair} ticker")
        return TickerSnapshot(
            pair=row.pair,
            bid=row.bid,
            ask=row.ask,
            last=row.last,
            volume_24h=row.volume_24h,
            vwap_24h=row.vwap_24h,
            updated_at=updated_at,
        )

    def live_bar(self, pair: str, timeframe: Timeframe) -> Bar:
        """The newest live candle (may still be running), under the same staleness rules."""
        query = (
            select(live_bars)
            .where(live_bars.c.pair == pair, live_bars.c.timeframe == timeframe)
            .order_by(live_bars.c.time.desc())
            .limit(1)
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            raise DataUnavailableError(f"no live {timeframe} bar for {pair} yet")
        self._check_fresh(_utc(row.updated_at), f"{pair} {timeframe} bar")
        return _bar(row._mapping)

    def closed_bars_since(self, pair: str, timeframe: Timeframe, since_ts: int) -> list[Bar]:
        """Closed bars with ``time > since_ts``, oldest first (empty when there are none)."""
        query = (
            select(live_bars)
            .where(
                live_bars.c.pair == pair,
                live_bars.c.timeframe == timeframe,
                live_bars.c.closed.is_(True),
                live_bars.c.time > since_ts,
            )
            .order_by(live_bars.c.time)
        )
        with self._engine.connect() as conn:
            return [_bar(row._mapping) for row in conn.execute(query)]

    def data_status(self) -> DataStatus:
        """The feed status as of now: fresh/stale recomputed from ticker ages.

        A sidecar that has not reported within the tolerance (or whose report is stamped in the
        future) counts as disconnected (its last claim is not repeated). Before any report:
        nothing connected, the tickers' pairs only.
        """
        now = _utc(self._clock.now())
        with self._engine.connect() as conn:
            ages = {row.pair: _utc(row.updated_at) for row in conn.execute(select(live_ticker))}
            row = conn.execute(select(data_status).where(data_status.c.id == STATUS_ROW_ID)).first()
            loops = conn.execute(select(data_status_loops).order_by(data_status_loops.c.loop))
            stopped = tuple(f"{loop.loop}: {loop.error}" for loop in loops)
        pairs = set(ages)
        if row is not None:
            pairs = set(json.loads(row.fresh_pairs)) | set(json.loads(row.stale_pairs))
        fresh = sorted(
            pair
            for pair in pairs
            if pair in ages and self._fresh(ages[pair], now, f"{pair} ticker")
        )
        stale = sorted(pairs - set(fresh))
        if row is None:
            return DataStatus(
                rest_ok=False,
                ws_connected=False,
                last_message_at=None,
                fresh_pairs=tuple(fresh),
                stale_pairs=tuple(stale),
                subscription_errors=(),
            )
        alive = self._fresh(_utc(row.updated_at), now, "the sidecar's status")
        return DataStatus(
            rest_ok=bool(row.rest_ok) and alive,
            ws_connected=bool(row.ws_connected) and alive,
            last_message_at=None if row.last_message_at is None else _utc(row.last_message_at),
            fresh_pairs=tuple(fresh),
            stale_pairs=tuple(stale),
            subscription_errors=tuple(json.loads(row.subscription_errors)),
            stopped_loops=stopped,
        )

    def _check_fresh(self, updated_at: datetime, what: str) -> None:
        now = _utc(self._clock.now())
        if self._fresh(updated_at, now, what):
            return
        age = now - updated_at
        if age < timedelta(0):
            raise DataStaleError(
                f"{what} is stamped {-age.total_seconds():.1f}s in the future: suspect, "
                "not fresh (was a clock set back?)"
            )
        raise DataStaleError(
            f"{what} is {age.total_seconds():.1f}s old "
            f"(tolerance {self._tolerance.total_seconds():g}s)"
        )

    def _fresh(self, updated_at: datetime, now: datetime, what: str) -> bool:
        """Within the tolerance, and not stamped in the future (logged when ``what`` gets so,
        not on every read)."""
        age = now - updated_at
        if age < -FUTURE_TOLERANCE:
            if what not in self._in_future:
                self._in_future.add(what)
                logger.warning(
                    "%s is stamped in the future: treated as stale until its stamps are sane",
                    what,
                    extra={"ahead_seconds": round(-age.total_seconds(), 1)},
                )
            return False
        self._in_future.discard(what)
        return age <= self._tolerance


# --- rows -----------------------------------------------------------------------------------


def _utc(moment: datetime) -> datetime:
    # SQLite hands DateTime back naive; we only ever write UTC, so naive means UTC.
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _ticker_row(snap: TickerSnapshot, shift: timedelta) -> dict[str, Any]:
    return {
        "pair": snap.pair,
        "bid": snap.bid,
        "ask": snap.ask,
        "last": snap.last,
        "volume_24h": snap.volume_24h,
        "vwap_24h": snap.vwap_24h,
        "updated_at": _utc(snap.updated_at) + shift,
    }


def _bar_row(keyed: KeyedBar, *, closed: bool, now: datetime) -> dict[str, Any]:
    pair, timeframe, bar = keyed
    return {
        "pair": pair,
        "timeframe": timeframe,
        **bar.model_dump(),
        "closed": closed,
        "updated_at": now,
    }


def _bar(row: RowMapping) -> Bar:
    return Bar(time=int(row["time"]), **{name: row[name] for name in _BAR_VALUES})


def _status_row(status: DataStatus, now: datetime, shift: timedelta) -> dict[str, Any]:
    last = status.last_message_at
    return {
        "id": STATUS_ROW_ID,
        "rest_ok": status.rest_ok,
        "ws_connected": status.ws_connected,
        "last_message_at": None if last is None else _utc(last) + shift,
        "fresh_pairs": json.dumps(list(status.fresh_pairs)),
        "stale_pairs": json.dumps(list(status.stale_pairs)),
        "subscription_errors": json.dumps(list(status.subscription_errors)),
        "updated_at": now,
    }


def _replace_stopped_loops(conn: Connection, stopped: Sequence[str]) -> None:
    """The stopped loops are the status's (``"loop: error"``), no more, no fewer."""
    conn.execute(delete(data_status_loops))
    if stopped:
        rows = [dict(zip(("loop", "error"), text.split(": ", 1), strict=True)) for text in stopped]
        conn.execute(data_status_loops.insert(), rows)


def _upsert(
    conn: Connection,
    table: Table,
    rows: list[dict[str, Any]],
    key: tuple[str, ...],
    *,
    running: bool = False,
) -> None:
    """Insert or update ``rows`` on ``key``, on SQLite and PostgreSQL alike.

    ``running``: never overwrite a row already closed. Closed bars keep ``updated_at``.
    """
    dialect = conn.dialect.name
    if dialect == "postgresql":
        stmt: Any = postgresql.insert(table)
    elif dialect == "sqlite":
        stmt = sqlite.insert(table)
    else:
        raise DatabaseError(f"live data needs SQLite or PostgreSQL, not {dialect}")
    keep = set(key)
    if table is live_bars and not running:
        keep.add("updated_at")
    values = {col.name: stmt.excluded[col.name] for col in table.columns if col.name not in keep}
    where: ColumnElement[bool] | None = live_bars.c.closed.is_(False) if running else None
    conn.execute(
        stmt.on_conflict_do_update(index_elements=list(key), set_=values, where=where), rows
    )
