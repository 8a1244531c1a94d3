"""The candle-close sensor's logic on its own: which closes are due, the cursor."""

from datetime import UTC, datetime, timedelta

import pytest

from krakked_core.model.market import DataStatus
from krakked_core.strategy.candle_close import CycleRequest, due_cycles, parse_cursor

NOW = datetime(2026, 3, 2, 12, 0, 5, tzinfo=UTC)  # 5 s past a 1h (and 4h) close
H12 = int(datetime(2026, 3, 2, 12, tzinfo=UTC).timestamp())
FRESH = DataStatus(
    rest_ok=True,
    ws_connected=True,
    last_message_at=NOW,
    fresh_pairs=("ETHUSD", "XBTUSD"),
    stale_pairs=(),
    subscription_errors=(),
)


def _published(*pairs: str):
    return lambda pair, timeframe, bar_open: pair in pairs


def test_due_when_several_timeframes_then_each_newest_close_once() -> None:
    due = due_cycles(
        NOW,
        {"1h": ("XBTUSD",), "4h": ("ETHUSD",), "1d": ("XBTUSD",)},
        {"1d": int(datetime(2026, 3, 2, tzinfo=UTC).timestamp())},
        FRESH,
        _published("XBTUSD", "ETHUSD"),
    )
    assert due.requests == (CycleRequest("1h", H12), CycleRequest("4h", H12))
    assert [r.run_key for r in due.requests] == [f"1h:{H12}", f"4h:{H12}"]
    assert due.cursor["1h"] == H12 and due.cursor["4h"] == H12


def test_due_when_one_pair_missing_then_waits_naming_it_until_grace() -> None:
    pairs = {"1h": ("ETHUSD", "XBTUSD")}
    early = due_cycles(NOW, pairs, {}, FRESH, _published("XBTUSD"), grace_seconds=20)
    assert early.requests == () and "ETHUSD" in early.waiting[0]
    late = due_cycles(
        NOW + timedelta(seconds=20), pairs, {}, FRESH, _published("XBTUSD"), grace_seconds=20
    )
    assert late.requests == (CycleRequest("1h", H12),)


def test_due_when_a_pair_is_stale_then_nothing_and_the_cursor_stays() -> None:
    stale = FRESH.model_copy(update={"fresh_pairs": ("XBTUSD",), "stale_pairs": ("ETHUSD",)})
    cursor = {"1h": H12 - 3600}
    due = due_cycles(NOW, {"1h": ("ETHUSD", "XBTUSD")}, cursor, stale, _published("XBTUSD"))
    assert due.requests == ()
    assert due.cursor == cursor
    assert "stale: ETHUSD" in due.waiting[0]


@pytest.mark.parametrize("text", ["not json", "[1, 2]", '{"1h": "soon"}'])
def test_parse_cursor_when_unreadable_then_starts_afresh(text: str) -> None:
    assert parse_cursor(text) == {}


def test_parse_cursor_when_written_then_reads_back() -> None:
    due = due_cycles(NOW, {"1h": ("XBTUSD",)}, {}, FRESH, _published("XBTUSD"))
    assert parse_cursor(due.cursor_text()) == {"1h": H12}
