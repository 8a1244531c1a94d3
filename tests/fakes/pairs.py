"""Pair metadata for tests: a plain online USD spot pair, and the sandbox's universe."""

from decimal import Decimal

from krakked_core.model.pairs import PairMetadata


def usd_pair(base: str) -> PairMetadata:
    """Return ``<base>USD`` as the universe would hold it (8 volume decimals, online)."""
    name = f"{base}USD"
    return PairMetadata(
        canonical=name,
        base=base,
        quote="USD",
        rest_symbol=name,
        ws_symbol=f"{base}/USD",
        raw_name=name,
        price_decimals=2,
        volume_decimals=8,
        cost_decimals=2,
        lot_size=Decimal("1e-8"),
        ordermin=Decimal("0.0001"),
        status="online",
    )


# The universe the sandbox's default market table gives on every date (liquid by construction;
# BANDUSD, the illiquid one, and the non-USD, dark-pool and cancel-only pairs are left out).
SANDBOX_UNIVERSE = [
    "AAVEUSD", "ADAUSD", "ALGOUSD", "ATOMUSD", "AVAXUSD", "BCHUSD", "DOTUSD", "ETHUSD",
    "FILUSD", "LINKUSD", "LTCUSD", "POLUSD", "SOLUSD", "UNIUSD", "USDCUSD", "USDTUSD",
    "XBTUSD", "XDGUSD", "XLMUSD", "XRPUSD",
]  # fmt: skip
