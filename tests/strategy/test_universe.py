"""Per-strategy universes: explicit pairs, top N by volume, no stablecoins, liquidity floor."""

from decimal import Decimal

from krakked_core.config import UniverseFilterConfig
from krakked_core.strategy.universe import strategy_universe
from tests.fakes.pairs import usd_pair

PAIRS = [usd_pair(base) for base in ("XBT", "ETH", "SOL", "USDT", "ADA")]
VOLUMES = {
    "XBTUSD": Decimal(9_000_000),
    "ETHUSD": Decimal(5_000_000),
    "SOLUSD": Decimal(1_000_000),
    "USDTUSD": Decimal(8_000_000),
    "ADAUSD": Decimal(50_000),
}
FLOOR = Decimal(100_000)


def test_default_is_the_liquid_market_universe() -> None:
    assert strategy_universe("default", PAIRS, VOLUMES, FLOOR) == (
        "ETHUSD",
        "SOLUSD",
        "USDTUSD",
        "XBTUSD",
    )


def test_pairs_with_unknown_volume_are_left_out() -> None:
    assert strategy_universe("default", PAIRS, {"XBTUSD": Decimal(1_000_000)}, FLOOR) == ("XBTUSD",)


def test_explicit_pairs_stay_within_the_market_universe() -> None:
    flt = UniverseFilterConfig(pairs=("SOLUSD", "DOGEUSD", "ADAUSD"))
    assert strategy_universe(flt, PAIRS, VOLUMES, FLOOR) == ("SOLUSD",)


def test_top_n_by_volume_after_excluding_stablecoins() -> None:
    flt = UniverseFilterConfig(top_n_by_volume=2, exclude_stablecoins=True)
    assert strategy_universe(flt, PAIRS, VOLUMES, FLOOR) == ("ETHUSD", "XBTUSD")


def test_top_n_ties_are_broken_by_name() -> None:
    volumes = dict.fromkeys(VOLUMES, Decimal(1_000_000))
    flt = UniverseFilterConfig(top_n_by_volume=2)
    assert strategy_universe(flt, PAIRS, volumes, FLOOR) == ("ADAUSD", "ETHUSD")
