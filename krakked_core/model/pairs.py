"""A tradable pair as the rest of the system sees it, named by its canonical (altname) symbol."""

from dataclasses import dataclass
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field


class PairMetadata(BaseModel):
    """Contract Phase 2 §3.3, plus order minimums and tick size.

    Everywhere outside ``connection/`` a pair is its ``canonical``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    canonical: str  # "XBTUSD" (Kraken's altname)
    base: str  # normalized asset code, "XBT"
    quote: str  # "USD"
    rest_symbol: str  # "XBTUSD"
    ws_symbol: str  # Kraken's wsname, "XBT/USD" (WS v2 names differ: connection/symbols.py)
    raw_name: str  # the AssetPairs key, "XXBTZUSD"
    price_decimals: int = Field(ge=0)
    volume_decimals: int = Field(ge=0)
    cost_decimals: int = Field(ge=0)
    lot_size: Decimal = Field(gt=0)  # volumes are multiples of this (10^-lot_decimals)
    ordermin: Decimal = Field(ge=0)  # minimum base volume
    costmin: Decimal | None = Field(default=None, ge=0)  # minimum quote cost
    tick_size: Decimal | None = Field(default=None, gt=0)  # price increment
    status: str  # "online", "cancel_only", …


@dataclass(frozen=True)
class ListedPair:
    """A pair the exchange lists: the metadata kept, plus the facts the universe filters on."""

    metadata: PairMetadata
    spot: bool  # both legs are plain currencies (not futures, not tokenized products)
    dark_pool: bool
