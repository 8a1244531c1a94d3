"""RiskContext (contract Phase 4 §3.3): everything the risk rules read, as plain values.

The engine (strategy/engine.py) builds it once per cycle from the portfolio, market data and
``control_state``; ``krakked risk evaluate`` builds it from a scenario file. Rules never do I/O.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from krakked_core.model.market import Bar
from krakked_core.portfolio.models import MANUAL  # the owner of positions no strategy opened

DRAWDOWN_WINDOW = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class PositionExposure:
    """One held pair, valued now, and who owns it."""

    pair: str
    base_asset: str
    base_size: Decimal
    price: Decimal  # USD per base unit
    strategy_id: str = MANUAL

    @property
    def value_usd(self) -> Decimal:
        return self.base_size * self.price

    @property
    def manual(self) -> bool:
        return self.strategy_id == MANUAL


@dataclass(frozen=True, slots=True)
class RiskContext:
    """The world as the risk engine sees it in one cycle.

    ``prices`` hold the latest price of pairs the intents name (held pairs are priced by their
    position); a pair with neither price nor bars cannot be sized and is not opened.
    ``bars`` are closed bars per pair, oldest first, of the cycle's timeframe (for the ATR).
    ``liquidity_24h_usd``: 24h USD volume per pair; a pair missing here counts as illiquid.
    ``equity_history`` holds (time, equity) of complete snapshots only, any order.
    ``base_assets`` maps pairs to their base asset where no position names it.
    """

    now: datetime
    equity_usd: Decimal
    cash_usd: Decimal
    positions: tuple[PositionExposure, ...] = ()
    prices: Mapping[str, Decimal] = field(default_factory=dict)
    bars: Mapping[str, Sequence[Bar]] = field(default_factory=dict)
    liquidity_24h_usd: Mapping[str, Decimal] = field(default_factory=dict)
    base_assets: Mapping[str, str] = field(default_factory=dict)
    equity_history: tuple[tuple[datetime, Decimal], ...] = ()
    drift_flag: bool = False
    valuation_complete: bool = True
    unvalued_assets: tuple[str, ...] = ()
    stale_pairs: frozenset[str] = frozenset()
    kill_switch_manual: bool = False
    kill_switch_reason: str | None = None

    def __post_init__(self) -> None:
        if self.now.tzinfo is None or self.now.utcoffset() is None:
            raise ValueError("RiskContext.now must be timezone-aware (UTC)")

    def position(self, pair: str) -> Decimal:
        """Return the total base size held in ``pair`` (every owner)."""
        return sum((p.base_size for p in self.positions if p.pair == pair), Decimal(0))

    def owned(self, pair: str, strategy_id: str) -> Decimal:
        """Return the base size of ``pair`` that ``strategy_id`` owns."""
        held = (p for p in self.positions if p.pair == pair and p.strategy_id == strategy_id)
        return sum((p.base_size for p in held), Decimal(0))

    def price(self, pair: str) -> Decimal | None:
        """Return the pair's price: the quoted one, a position's, else the last close."""
        if pair in self.prices:
            return self.prices[pair]
        for position in self.positions:
            if position.pair == pair:
                return position.price
        bars = self.bars.get(pair)
        return Decimal(str(bars[-1].close)) if bars else None

    def base_asset(self, pair: str) -> str:
        """Return the pair's base asset (``XBTUSD`` → ``XBT`` when nothing names it)."""
        if pair in self.base_assets:
            return self.base_assets[pair]
        for position in self.positions:
            if position.pair == pair:
                return position.base_asset
        return pair.removesuffix("USD") or pair

    @property
    def drawdown_pct(self) -> Decimal:
        return daily_drawdown_pct(self.equity_usd, self.equity_history, self.now)


def daily_drawdown_pct(
    equity_now: Decimal, history: Sequence[tuple[datetime, Decimal]], now: datetime
) -> Decimal:
    """Return how far (in %) equity is below the peak of the last 24 h of complete snapshots.

    0 without history, a non-positive peak, or equity at or above the peak. Snapshots after
    ``now`` are ignored (a replay must not see the future).
    """
    window = [equity for at, equity in history if now - DRAWDOWN_WINDOW <= at <= now]
    if not window:
        return Decimal(0)
    peak = max(window)
    if peak <= 0 or equity_now >= peak:
        return Decimal(0)
    return (peak - equity_now) / peak * 100
