"""A pair's 24 h volume band holds in every window, even far from where the walk would be."""

import json
import random
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from krakked_core.clock import ManualClock
from krakked_core.sim.exchange import Exchange
from krakked_core.sim.markets import Markets
from krakked_core.sim.settings import SimSettings
from tests.sim.core.conftest import START

FLOOR = 5_000_000.0  # about 35 times POLUSD's natural volume
CEILING = 30_000.0  # about a fifth of XLMUSD's


def _banded_markets(path: Path) -> Path:
    markets = Markets.load()
    sim = {key: {"price": str(pair.params.price)} for key, pair in markets.pairs.items()}
    sim["POLUSD"] |= {"trades_per_minute": 0.5, "trade_notional": 200, "min_24h_volume": FLOOR}
    sim["XXLMZUSD"] |= {"trades_per_minute": 0.6, "trade_notional": 200, "max_24h_volume": CEILING}
    raw = {
        "assets": markets.assets,
        "pairs": {key: dict(pair.info) for key, pair in markets.pairs.items()},
        "sim": sim,
    }
    path.write_text(json.dumps(raw))
    return path


def test_volume_band_when_walk_far_outside_then_every_24h_window_inside(tmp_path: Path) -> None:
    clock = ManualClock(START)
    markets_file = _banded_markets(tmp_path / "markets.json")
    exchange = Exchange(SimSettings(history_days=1, markets_file=markets_file), clock)
    pick = random.Random(4)
    volumes: dict[str, list[Decimal]] = {"POLUSD": [], "XXLMZUSD": []}

    for _ in range(30):  # any minute and second of the day, over about three months
        clock.advance(timedelta(hours=pick.uniform(0, 72)).total_seconds())
        ticker = exchange.public("Ticker", {"pair": "POLUSD,XLMUSD"})
        for key, entry in ticker.items():
            volumes[key].append(Decimal(entry["v"][1]) * Decimal(entry["p"][1]))

    assert min(volumes["POLUSD"]) >= Decimal(FLOOR) * Decimal("0.999")  # vwap shown rounded
    assert max(volumes["XXLMZUSD"]) <= Decimal(CEILING) * Decimal("1.001")
