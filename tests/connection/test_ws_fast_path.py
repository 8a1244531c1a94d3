"""The fast path for ticker/ohlc frames yields exactly what the general parser yields."""

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from krakked_core.connection.parsers.ws import (
    parse_rfc3339,
    parse_ws_message,
    parse_ws_message_generally,
)
from tests.conftest import KRAKEN_SAMPLES

_TICKER = json.loads((KRAKEN_SAMPLES / "ws_ticker_snapshot.json").read_text())["data"][0]
_OHLC = json.loads((KRAKEN_SAMPLES / "ws_ohlc_update.json").read_text())["data"][0]
_MISSING = object()

# Values a field might carry: good numbers, exact decimals as text, doubtful and wrong ones.
_NUMBER_TEXT = st.sampled_from(
    [
        "0",
        "-0.0",
        "-0.5",
        "1.50",
        "105944.20",
        "-3.5",
        "1e400",
        "1.7976931348623157e308",
        "12",
        "12.0",
    ]
)
_ODD = st.sampled_from(['"1.5"', "true", "null", '""', '"BTC/USD"', "[]", "{}"])
_TIME = st.sampled_from(
    [
        '"2023-10-04T16:25:00.000000000Z"',
        '"2022-12-25T09:30:59.123456Z"',
        '"2023-10-04t16:25:00z"',
        '"2023-10-04T16:25:00+02:00"',
        '"2023-10-04T16:25:00"',
        '"9999-12-31T23:59:59-01:00"',
        '"2023-13-04T16:25:00Z"',
    ]
)
_VALUE = st.one_of(_NUMBER_TEXT, _ODD, _TIME, st.just(_MISSING))


def _frame(channel: str, kind: str, items: list[dict[str, Any]]) -> str:
    def item_text(item: dict[str, Any]) -> str:
        fields = [f"{json.dumps(k)}: {v}" for k, v in item.items() if v is not _MISSING]
        return "{" + ", ".join(fields) + "}"

    data = ", ".join(item_text(item) for item in items)
    return f'{{"channel": {json.dumps(channel)}, "type": {json.dumps(kind)}, "data": [{data}]}}'


def _items(sample: dict[str, Any]) -> st.SearchStrategy[list[dict[str, Any]]]:
    good = {key: json.dumps(value) for key, value in sample.items()}
    changed = st.dictionaries(st.sampled_from(sorted(sample)), _VALUE, max_size=3)
    return st.lists(changed.map(lambda edits: {**good, **edits}), max_size=3)


@settings(max_examples=400, deadline=None)
@given(
    channel=st.sampled_from(["ticker", "ohlc"]),
    kind=st.sampled_from(["snapshot", "update", "other"]),
    data=st.data(),
)
def test_fast_path_when_any_frame_then_same_as_general_parser(
    channel: str, kind: str, data: st.DataObject
) -> None:
    items = data.draw(_items(_TICKER if channel == "ticker" else _OHLC))
    raw = _frame(channel, kind, items)

    assert parse_ws_message(raw) == parse_ws_message_generally(raw)


def test_fast_path_when_sample_frames_then_same_values_and_types() -> None:
    for name in ("ws_ticker_snapshot.json", "ws_ohlc_update.json"):
        raw = (KRAKEN_SAMPLES / name).read_text()
        fast, general = parse_ws_message(raw), parse_ws_message_generally(raw)

        assert fast == general
        assert repr(fast) == repr(general)  # the Decimals keep their digits (105944.20)


_DIGITS = st.integers(min_value=0, max_value=99).map(lambda n: f"{n:02d}")


@settings(max_examples=300, deadline=None)
@given(
    year=st.integers(min_value=1, max_value=9999).map(lambda n: f"{n:04d}"),
    month=_DIGITS,
    day=_DIGITS,
    hour=_DIGITS,
    minute=_DIGITS,
    second=_DIGITS,
    fraction=st.text("0123456789", min_size=0, max_size=9),
)
def test_rfc3339_when_kraken_form_then_same_as_field_by_field(
    year: str, month: str, day: str, hour: str, minute: str, second: str, fraction: str
) -> None:
    dot = f".{fraction}" if fraction else ""
    text = f"{year}-{month}-{day}T{hour}:{minute}:{second}{dot}Z"
    spelled_out = text[:-1] + "z"  # not Kraken's form: taken apart field by field

    assert _outcome(text) == _outcome(spelled_out)


def _outcome(text: str) -> object:
    try:
        return parse_rfc3339(text)
    except ValueError as exc:
        return type(exc)
