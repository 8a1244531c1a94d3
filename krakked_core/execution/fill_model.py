"""How a simulated order fills: the reference price moved by slippage, plus the taker fee.

One model for the paper gateway (reference: the live price when the order arrives) and the
backtest (reference: the next candle's open), so a strategy's paper and backtest results are
computed the same way. Exact Decimal arithmetic; nothing is rounded here, as the ledger keeps
every digit the exchange would report.
"""

from dataclasses import dataclass
from decimal import Decimal

from krakked_core.model.account import Side

_BPS = Decimal(10_000)
_PCT = Decimal(100)


@dataclass(frozen=True, slots=True)
class SimulatedFill:
    price: Decimal
    volume: Decimal
    cost: Decimal  # price x volume, in quote
    fee: Decimal  # in quote, charged on top of cost


@dataclass(frozen=True, slots=True)
class FillModel:
    """``slippage_bps`` moves every fill against the order; ``taker_fee_pct`` (0.26 = 0.26 %)."""

    slippage_bps: Decimal = Decimal(0)
    taker_fee_pct: Decimal = Decimal("0.26")

    def __post_init__(self) -> None:
        if self.slippage_bps < 0 or self.taker_fee_pct < 0:
            raise ValueError("slippage and fee must not be negative")

    def fill_price(self, side: Side, reference: Decimal) -> Decimal:
        """A buy pays more than ``reference``, a sell gets less."""
        shift = reference * self.slippage_bps / _BPS
        return reference + shift if side == "buy" else reference - shift

    def fee(self, cost: Decimal) -> Decimal:
        return cost * self.taker_fee_pct / _PCT

    def fill(self, side: Side, reference: Decimal, volume: Decimal) -> SimulatedFill:
        if reference <= 0 or volume <= 0:
            raise ValueError(f"a fill needs a positive price and volume ({reference}, {volume})")
        price = self.fill_price(side, reference)
        cost = price * volume
        return SimulatedFill(price=price, volume=volume, cost=cost, fee=self.fee(cost))
