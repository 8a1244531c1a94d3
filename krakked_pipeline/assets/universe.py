"""``pair_universe``: the USD spot universe (AssetPairs + Ticker liquidity) in the app DB."""

import dagster as dg

from krakked_pipeline.resources import MarketData


@dg.asset(
    group_name="market_data",
    kinds={"sqlalchemy"},
    description="USD spot pairs that pass the contract's filters, persisted in universe_pairs.",
)
def pair_universe(market_data: MarketData) -> dg.MaterializeResult:  # type: ignore[type-arg]
    build = market_data.api().refresh_universe()
    return dg.MaterializeResult(
        metadata={
            "pairs": len(build.pairs),
            "candidates": build.candidates,
            "rejected": len(build.rejected),
            "universe": dg.MetadataValue.json(build.canonicals),
        }
    )
