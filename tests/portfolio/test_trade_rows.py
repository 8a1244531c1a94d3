"""Trades read back for a replay: times read from stored text as the plain parse reads them, events
equal to those built plainly."""

import dataclasses
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from krakked_core.portfolio.models import TradeEvent
from krakked_core.portfolio.store import PortfolioStore
from krakked_core.portfolio.store.rows import aware, time_read_as_text
from tests.fakes.account import FakeAccount, at

# Naive, as SQLite stores them.
_NAIVE_MIN, _NAIVE_MAX = datetime(1, 1, 2), datetime(9999, 12, 30)  # noqa: DTZ001
_TIMES = st.datetimes(min_value=_NAIVE_MIN, max_value=_NAIVE_MAX, timezones=st.just(None))


@settings(max_examples=300, deadline=None)
@given(
    moment=_TIMES,
    sep=st.sampled_from([" ", "T"]),
    spec=st.sampled_from(["auto", "seconds", "microseconds", "milliseconds"]),
    offset=st.sampled_from([None, "Z", "+00:00", "+02:30", "-05:00"]),
)
def test_time_text_when_any_form_then_same_as_parse_and_make_aware(
    moment: datetime, sep: str, spec: str, offset: str | None
) -> None:
    text = moment.isoformat(sep=sep, timespec=spec) + (offset or "")

    read = time_read_as_text(text)

    assert read == aware(datetime.fromisoformat(text))
    assert read.utcoffset() == timedelta(0)


def test_time_text_when_a_datetime_then_made_aware_utc() -> None:
    local = datetime(2024, 1, 1, 12, tzinfo=timezone(timedelta(hours=2)))

    assert time_read_as_text(local) == datetime(2024, 1, 1, 10, tzinfo=UTC)
    assert time_read_as_text(datetime(2024, 1, 1)).tzinfo is not None  # noqa: DTZ001


@pytest.mark.parametrize(("fee", "fee_in"), [("0", "quote"), ("0.0001", "quote"), ("1e-8", "base")])
def test_loaded_trades_when_read_back_then_equal_to_events_built_plainly(
    engine: Engine, fee: str, fee_in: str
) -> None:
    account = FakeAccount()
    fill = account.trade("sell", "0.123456789012345678", "65432.10", at(1), fee=fee, fee_in=fee_in)
    store = PortfolioStore(engine).history
    store.append_trades([fill], {fill.trade_id: Decimal("0.99")}, at(2))
    store.append_ledger_entries(account.ledger, {}, at(2))

    (event,) = store.load_trade_events()
    plain = TradeEvent(**{f.name: getattr(event, f.name) for f in dataclasses.fields(TradeEvent)})

    assert event == plain and hash(event) == hash(plain) and repr(event) == repr(plain)
    assert type(event) is TradeEvent
    assert dataclasses.replace(event, fee=event.fee) == plain
    assert (event.price, event.volume) == (fill.price, fill.volume)
    assert str(event.price) == "65432.10"  # the stored digits, not a float's
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.price = event.price  # type: ignore[misc]
