"""Prices in the base currency for one valuation pass: cached, and honest about gaps.

An asset with no price (no valuation pair, stale or missing data) is *unvalued*: it is left out
of equity and named, never counted as zero in silence.
"""

import logging
from collections.abc import Mapping
from decimal import Decimal

from krakked_core.errors import DataError
from krakked_core.portfolio.assets import root, valuation_pair
from krakked_core.ports import PriceSource

logger = logging.getLogger(__name__)


class Prices:
    """Asset → USD price via ``PriceSource``, asked at most once per pair per pass."""

    def __init__(
        self, source: PriceSource, base_currency: str, overrides: Mapping[str, str]
    ) -> None:
        self._source = source
        self._base = base_currency
        self._overrides = overrides
        self._cache: dict[str, Decimal | None] = {}
        self.errors: dict[str, str] = {}

    @property
    def base_currency(self) -> str:
        return self._base

    def pair_for(self, asset: str) -> str | None:
        asset = root(asset)
        if asset == self._base:
            return None
        return valuation_pair(asset, self._base, self._overrides)

    def price(self, asset: str) -> Decimal | None:
        """USD per unit of ``asset``; 1 for the base currency; None when unknown (logged)."""
        asset = root(asset)
        if asset == self._base:
            return Decimal(1)
        pair = self.pair_for(asset)
        assert pair is not None
        if pair not in self._cache:
            self._cache[pair] = self._ask(asset, pair)
        return self._cache[pair]

    def value(self, asset: str, amount: Decimal) -> Decimal | None:
        price = self.price(asset)
        return amount * price if price is not None else None

    def _ask(self, asset: str, pair: str) -> Decimal | None:
        try:
            price = self._source.get_latest_price(pair)
        except DataError as exc:
            self.errors[asset] = f"{type(exc).__name__}: {exc}"
            logger.warning(
                "no price for %s via %s (%s): it is unvalued",
                asset,
                pair,
                type(exc).__name__,
                extra={"asset": asset, "pair": pair},
            )
            return None
        if price <= 0:
            self.errors[asset] = f"non-positive price {price}"
            return None
        return price
