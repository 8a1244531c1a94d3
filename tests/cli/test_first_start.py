"""The first start of `up --sim`: the sandbox's history, imported at once into an empty store."""

from datetime import UTC, datetime
from pathlib import Path

from krakked_core.cli.first_start import import_sandbox_history, sandbox_history_days
from krakked_core.clock import ManualClock
from krakked_core.config import AppConfig
from krakked_core.market_data.ohlc_store import OhlcStore

NOW = datetime(2026, 3, 2, 12, 20, 30, tzinfo=UTC)
HOUR = 3600


def test_an_empty_store_gets_the_sandbox_history_up_to_now_once(tmp_path: Path) -> None:
    market_data = {"history_days": 1, "timeframes": ["1h", "1d"]}
    config = AppConfig.model_validate({"market_data": market_data})
    store = OhlcStore(tmp_path / "ohlc", ManualClock(NOW))

    report = import_sandbox_history(config, store, 42, NOW, tmp_path / "sim")

    assert report is not None and report.bars > 0
    bars = store.get_last_bars("XBTUSD", "1h", 24)  # `krakked ohlc --lookback 24` at once
    assert len(bars) == 24 and bars[-1].time == int(NOW.timestamp()) // HOUR * HOUR - HOUR
    # The whole first partition day (yesterday) is there: the sandbox has a day more.
    first_day = int(datetime(2026, 3, 1, tzinfo=UTC).timestamp())
    assert store.uncovered("XBTUSD", "1h", first_day, bars[-1].time + HOUR) == []
    assert store.oldest_time("XBTUSD", "1h") < first_day
    assert sandbox_history_days(config) == 2
    assert store.pairs("5m") == []  # only the timeframes kept
    assert list((tmp_path / "sim").iterdir()) == []  # the export was a scratch folder
    assert import_sandbox_history(config, store, 42, NOW, tmp_path / "sim") is None
