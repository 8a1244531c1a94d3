"""The one timeframe type: every valid name parses, anything else is a clear error."""

import pytest

from krakked_core.model.market import TIMEFRAME_SECONDS, TIMEFRAMES, parse_timeframe


def test_every_timeframe_parses_to_itself_and_has_its_seconds() -> None:
    assert TIMEFRAMES == ("1m", "5m", "15m", "1h", "4h", "1d")
    assert [parse_timeframe(str(tf)) for tf in TIMEFRAMES] == list(TIMEFRAMES)
    assert [TIMEFRAME_SECONDS[tf] for tf in TIMEFRAMES] == [60, 300, 900, 3600, 14400, 86400]


@pytest.mark.parametrize("value", ["2h", "1H", "", " 1h", "60"])
def test_an_unknown_timeframe_is_refused_naming_the_valid_ones(value: str) -> None:
    with pytest.raises(ValueError, match=r"unknown timeframe .*: expected one of 1m, 5m, 15m, 1h"):
        parse_timeframe(value)
