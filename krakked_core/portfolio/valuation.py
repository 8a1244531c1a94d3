"""Prices in the base currency (now for valuation, at an event's own time for ingestion), and
the holdings valued with them.

An asset with no price (no valuation pair, stale or missing data) is *unvalued*: it is left out
of equity and named, never counted as zero in silence. An event is valued at its own time, never
at today's price: otherwise realized PnL and cost basis would depend on when history was synced.
Fee credits (``KFEE``) have no market: Kraken credits them at a fixed USD value per unit
(``portfolio.kfee_usd_value``), so they are valued at that, now and at any past moment.
"""

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from krakked_core.clock import Clock
from krakked_core.errors import DataError
from krakked_core.portfolio.assets import root, valuation_pair
from krakked_core.portfolio.models import AssetValuation
from krakked_core.ports import HistoricalPriceSource, PriceSource

logger = logging.getLogger(__name__)

FEE_CREDITS = "KFEE"
USD = "USD"


class Prices:
    """Asset → USD price via ``PriceSource``, asked at most once per pair per pass."""

    def __init__(
        self,
        source: PriceSource,
        base_currency: str,
        overrides: Mapping[str, str],
        kfee_usd: Decimal,
    ) -> None:
        self._source = source
        self._base = base_currency
        self._overrides = overrides
        self._kfee_usd = kfee_usd
        self._cache: dict[str, Decimal | None] = {}
        self.errors: dict[str, str] = {}

    @property
    def base_currency(self) -> str:
        return self._base

    def fixed_usd(self, asset: str) -> Decimal | None:
        """USD per unit of an asset whose value is fixed, not traded (fee credits); else None."""
        return self._kfee_usd if root(asset) == FEE_CREDITS else None

    def pair_for(self, asset: str) -> str | None:
        asset = root(asset)
        if asset == self._base or self.fixed_usd(asset) is not None:
            return None
        return valuation_pair(asset, self._base, self._overrides)

    def price(self, asset: str) -> Decimal | None:
        """USD per unit of ``asset``; 1 for the base currency; None when unknown (logged)."""
        asset = root(asset)
        if asset == self._base:
            return Decimal(1)
        fixed = self.fixed_usd(asset)
        if fixed is not None:
            usd = self.price(USD)
            return fixed * usd if usd is not None else None
        pair = self.pair_for(asset)
        assert pair is not None
        if pair not in self._cache:
            self._cache[pair] = self._ask(asset, pair)
        return self._cache[pair]

    def value(self, asset: str, amount: Decimal) -> Decimal | None:
        price = self.price(asset)
        return amount * price if price is not None else None

    def why_unvalued(self, asset: str) -> str:
        """Why ``asset`` has no price (after ``price`` said None)."""
        asset = root(asset)
        if self.fixed_usd(asset) is not None:
            asset = USD  # fee credits are priced through USD
        return self.errors.get(asset, "no price")

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


# A third-asset fee may fall back to the latest price only this soon after it was charged.
RECENT = timedelta(minutes=5)


class EventPrices:
    """Asset → USD price at an event's time (historical), ``None`` when not known.

    The result is stored with the event (``quote_usd``, ``fee_usd``, ``value_usd``), so replaying
    the books later gives the same numbers. A price still forming raises ``PriceNotFinalError``
    from the history source, untouched: the ingestor holds that row back until it is final.
    """

    def __init__(self, history: HistoricalPriceSource | None, latest: Prices, clock: Clock) -> None:
        self._history = history
        self._latest = latest
        self._clock = clock

    def price_at(self, asset: str, at: datetime) -> Decimal | None:
        asset = root(asset)
        if asset == self._latest.base_currency:
            return Decimal(1)
        fixed = self._latest.fixed_usd(asset)
        if fixed is not None:
            usd = self.price_at(USD, at)
            return fixed * usd if usd is not None else None
        pair = self._latest.pair_for(asset)
        price = self._history.price_at(pair, at) if self._history and pair else None
        if price is None or price <= 0:
            logger.warning(
                "no %s price at %s: valued as unknown (no basis), not at today's price",
                asset,
                at.isoformat(),
                extra={"asset": asset, "pair": pair, "at": at.isoformat()},
            )
            return None
        return price

    def value_at(self, asset: str, amount: Decimal, at: datetime) -> Decimal | None:
        price = self.price_at(asset, at)
        return amount * price if price is not None else None

    def fee_value_at(self, asset: str, amount: Decimal, at: datetime) -> Decimal | None:
        """A fee in a third asset: historical; the latest price only for a fee just charged."""
        price = self.price_at(asset, at)
        if price is None and self._clock.now() - at <= RECENT:
            price = self._latest.price(asset)
        return amount * price if price is not None else None


def holdings(
    amounts: Mapping[str, Decimal], prices: Prices, tracked: Callable[[str], bool]
) -> list[AssetValuation]:
    """Each tracked holding (suffix variants summed into their asset) valued now, by asset."""
    result = []
    for asset, parts in sorted(root_sums(amounts, root).items()):
        total = sum(parts.values(), Decimal(0))
        if not tracked(asset) or total == 0:
            continue
        value = prices.value(asset, total)
        result.append(
            AssetValuation(
                asset=asset,
                amount=total,
                value_base=value,
                source_pair=prices.pair_for(asset),
                variants=dict(parts),
                unvalued_reason=None if value is not None else prices.why_unvalued(asset),
            )
        )
    return result


def equity(valuations: Sequence[AssetValuation]) -> Decimal:
    """Equity: the sum of what could be valued (unvalued assets are named, not zero)."""
    return sum((v.value_base for v in valuations if v.value_base is not None), Decimal(0))


def cash(valuations: Sequence[AssetValuation], base_currency: str) -> Decimal:
    return next((v.amount for v in valuations if v.asset == base_currency), Decimal(0))


def root_sums(
    amounts: Mapping[str, Decimal], root_of: Callable[[str], str]
) -> dict[str, dict[str, Decimal]]:
    """Group balances by asset: ``{"XBT": {"XBT": 1, "XBT.F": 0.5}}``."""
    grouped: dict[str, dict[str, Decimal]] = {}
    for code, amount in amounts.items():
        grouped.setdefault(root_of(code), {})[code] = amount
    return grouped
