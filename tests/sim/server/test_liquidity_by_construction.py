"""The sandbox's universe is the same on every date: liquid pairs have a volume floor, and the
illiquid one a ceiling, that the random walk cannot cross."""

import random
from datetime import UTC, datetime, timedelta

import pytest

from krakked_core.clock import ManualClock
from krakked_core.config import AppConfig, UniverseConfig
from krakked_core.connection import build_rest_client
from krakked_core.connection.market_gateway import KrakenMarketGateway
from krakked_core.errors import ConfigError
from krakked_core.market_data.universe import fetch_universe
from krakked_core.paths import AppPaths
from krakked_core.sim import SandboxExchange, SimSettings
from krakked_core.sim.markets import Markets
from tests.fakes.pairs import SANDBOX_UNIVERSE

OVER_2M = {"ETHUSD", "SOLUSD", "USDCUSD", "USDTUSD", "XBTUSD", "XRPUSD"}
FIRST_DAY = datetime(2025, 1, 1, tzinfo=UTC)


def _random_times(count: int) -> list[datetime]:
    """``count`` instants over two years (any second of the day), oldest first."""
    pick = random.Random(13)
    span = int(timedelta(days=730).total_seconds())
    return sorted(FIRST_DAY + timedelta(seconds=pick.randrange(span)) for _ in range(count))


def test_universe_at_50_dates_over_two_years_then_same_pairs_and_band_never_in(
    app_paths: AppPaths,
) -> None:
    times = _random_times(50)
    clock = ManualClock(times[0])
    with SandboxExchange(SimSettings(history_days=1, tier="none"), clock=clock) as sim:
        exchange = {"rest_url": sim.rest_url, "public_rate_per_second": 500}
        config = AppConfig.model_validate({"exchange": exchange})
        market = KrakenMarketGateway(build_rest_client(config, app_paths, None), clock)
        seen: dict[datetime, tuple[list[str], set[str], str]] = {}
        for when in times:
            clock.set(when)
            build = fetch_universe(market, UniverseConfig(), "USD")
            over_2m = {name for name, usd in build.volume_24h_usd.items() if usd >= 2_000_000}
            seen[when] = (build.canonicals, over_2m, build.rejected.get("BANDUSD", ""))

    for when, (pairs, over_2m, band) in seen.items():
        assert pairs == SANDBOX_UNIVERSE, when
        assert over_2m == OVER_2M, when  # the 2M-floor universe of the pipeline tests
        assert "below" in band, when


def _markets_with(**sim: object) -> dict[str, object]:
    raw = Markets.load()
    pair = raw.pairs["POLUSD"]
    return {
        "assets": raw.assets,
        "pairs": {"POLUSD": dict(pair.info)},
        "sim": {"POLUSD": {"price": "0.25", **sim}},
    }


@pytest.mark.parametrize(
    ("sim", "message"),
    [
        ({"min_24h_volume": "lots"}, "sim.POLUSD.min_24h_volume must be a positive number"),
        ({"max_24h_volume": -5}, "sim.POLUSD.max_24h_volume must be a positive number"),
        ({"min_24h_volume": 100, "max_24h_volume": 100}, "max_24h_volume 100 must exceed"),
    ],
)
def test_market_table_when_volume_band_invalid_then_config_error_naming_the_key(
    sim: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        Markets.from_mapping(_markets_with(**sim))
