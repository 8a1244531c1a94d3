"""Per-strategy universes (contract Phase 4 §4.3): a strategy's filter within the market universe.

The market-data universe (Phase 2, with ``include_pairs``/``exclude_pairs`` already applied) is
the outer bound; a strategy's ``universe_filter`` narrows it, and pairs whose 24h USD volume is
below ``risk.min_liquidity_24h_usd`` (or unknown) are left out, so strategies never signal on
pairs the risk engine would refuse anyway.
"""

from collections.abc import Mapping, Sequence
from decimal import Decimal

from krakked_core.config import UniverseFilterConfig
from krakked_core.model.pairs import PairMetadata

# Base assets pegged to a fiat currency: trading them against USD has no trend to follow.
STABLECOINS: frozenset[str] = frozenset(
    {"USDT", "USDC", "DAI", "PYUSD", "USDG", "RLUSD", "TUSD", "USDS", "FDUSD", "USDE", "EURT"}
)


def strategy_universe(
    universe_filter: UniverseFilterConfig | str,
    pairs: Sequence[PairMetadata],
    volumes_24h_usd: Mapping[str, Decimal],
    min_liquidity_usd: Decimal,
) -> tuple[str, ...]:
    """Return the sorted canonical pairs one strategy may trade.

    ``"default"`` (or any string) keeps the whole market universe; explicit ``pairs`` outside it
    are dropped, never added.
    """
    liquid = [
        pair
        for pair in pairs
        if volumes_24h_usd.get(pair.canonical) is not None
        and volumes_24h_usd[pair.canonical] >= min_liquidity_usd
    ]
    if isinstance(universe_filter, str):
        return tuple(sorted(pair.canonical for pair in liquid))
    chosen = [
        pair
        for pair in liquid
        if (not universe_filter.pairs or pair.canonical in universe_filter.pairs)
        and not (universe_filter.exclude_stablecoins and pair.base in STABLECOINS)
    ]
    if universe_filter.top_n_by_volume is not None:
        # Highest volume first; equal volumes by name, so the cut is deterministic.
        chosen.sort(key=lambda pair: (-volumes_24h_usd[pair.canonical], pair.canonical))
        chosen = chosen[: universe_filter.top_n_by_volume]
    return tuple(sorted(pair.canonical for pair in chosen))
