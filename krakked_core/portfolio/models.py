"""The portfolio's values (contract Phase 3 §3, §6): all money ``Decimal``, all times aware UTC."""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from krakked_core.model.account import CashFlowType, Side

MANUAL = "manual"


@dataclass(frozen=True)
class TradeEvent:
    """A stored trade as the ledger applies it, valued in USD when it was ingested.

    ``quote_usd`` is USD per unit of the quote (1 for USD pairs); ``fee_usd`` the fee in USD.
    Either is ``None`` when no price was known: the ledger then realizes nothing it cannot value.
    """

    trade_id: str
    order_txid: str | None
    pair: str
    base: str
    quote: str
    side: Side
    price: Decimal
    volume: Decimal
    cost: Decimal
    fee_asset: str
    fee: Decimal
    time: datetime
    quote_usd: Decimal | None
    fee_usd: Decimal | None


@dataclass(frozen=True)
class CashFlowRecord:
    """A balance change that is not a trade: it moves equity, never trading PnL.

    ``amount`` is signed (+ inflow, − outflow); ``fee`` is charged on top. ``value_usd`` is the
    inflow's market value when it was ingested (``None``: no price, the units carry no basis).
    """

    id: str
    time: datetime
    asset: str  # normalized, suffix kept
    amount: Decimal
    type: CashFlowType
    fee: Decimal = Decimal(0)
    note: str | None = None
    value_usd: Decimal | None = None
    refid: str | None = None

    @property
    def net(self) -> Decimal:
        return self.amount - self.fee


@dataclass(frozen=True)
class RealizedPnLRecord:
    """Contract §3.3: one trade's effect, its realized PnL in USD and who made it."""

    trade_id: str
    order_id: str | None
    pair: str
    time: datetime
    side: Side
    base_delta: Decimal
    quote_delta: Decimal
    fee_asset: str
    fee_amount: Decimal
    fee_usd: Decimal | None
    pnl_quote: Decimal  # realized PnL in USD (the base currency)
    price: Decimal
    strategy_tag: str = MANUAL


@dataclass(frozen=True)
class Position:
    """Contract §3.2 + §6.2: a held asset seen through its valuation pair, valued now.

    ``unbased_size`` are units the books hold with no known cost (an unvalued inflow); they are
    valued but never produce PnL. ``current_price`` is ``None`` when the asset is unvalued.
    """

    pair: str
    base_asset: str
    quote_asset: str
    base_size: Decimal
    avg_entry_price: Decimal | None
    realized_pnl_base: Decimal
    fees_paid_base: Decimal
    current_price: Decimal | None
    current_value_base: Decimal | None
    unrealized_pnl_base: Decimal | None
    unbased_size: Decimal = Decimal(0)
    strategy_tag: str | None = None

    @property
    def valued(self) -> bool:
        return self.current_price is not None


@dataclass(frozen=True)
class AssetValuation:
    """One balance (suffix variants summed into their asset) and its value in USD."""

    asset: str
    amount: Decimal
    value_base: Decimal | None  # None: unvalued (no price), left out of equity and flagged
    source_pair: str | None
    variants: dict[str, Decimal] = field(default_factory=dict)  # "XBT.F" → amount
    unvalued_reason: str | None = None  # why no price was known (when unvalued)

    @property
    def unvalued(self) -> bool:
        return self.value_base is None


@dataclass(frozen=True)
class AssetExposure:
    """One holding's share of equity, as a per-asset cap reads it.

    An unvalued holding says so (``valued`` False, ``unvalued_reason``), never a bare ``None``.
    While any holding is unvalued, equity counts only part of the portfolio, so no holding's
    share of it is known: ``percentage_of_equity`` is ``None`` on *every* row (the valued rows'
    shares would be inflated, as if the unvalued holding were worth 0). A cap must then refuse
    new exposure rather than read ``None`` as 0 %.
    """

    asset: str
    amount: Decimal
    value_base: Decimal | None
    percentage_of_equity: Decimal | None
    unvalued_reason: str | None = None

    @property
    def valued(self) -> bool:
        return self.value_base is not None


@dataclass(frozen=True)
class EquityView:
    """Contract §6.2 ``get_equity``: equity from the exchange's balances at current prices.

    ``unvalued_assets`` name what is held but could not be priced (not counted in equity);
    ``drift_flag`` says the books and the exchange disagree (see ``drift_assets``).
    ``never_synced``: no balances were ever read, the zeros mean nothing; ``stale``: the balances
    are older than ``portfolio.stale_after_seconds``. ``realized_excluded``: per asset, proceeds
    of units sold with no known cost (not in realized PnL).
    """

    equity_base: Decimal
    cash_base: Decimal
    realized_pnl_base_total: Decimal
    unrealized_pnl_base_total: Decimal
    drift_flag: bool
    drift_assets: tuple[str, ...] = ()
    unvalued_assets: tuple[str, ...] = ()
    balances_as_of: datetime | None = None
    never_synced: bool = False
    stale: bool = False
    realized_excluded: dict[str, Decimal] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return not self.unvalued_assets

    @property
    def trustworthy(self) -> bool:
        """Synced recently, no drift, every holding valued: what risk may act on."""
        return self.complete and not (self.never_synced or self.stale or self.drift_flag)


@dataclass(frozen=True)
class PnLSummary:
    realized_total: Decimal
    unrealized_total: Decimal
    realized_by_pair: dict[str, Decimal]
    unrealized_by_pair: dict[str, Decimal]
    include_manual: bool
    unvalued_pairs: tuple[str, ...] = ()
    realized_excluded: dict[str, Decimal] = field(default_factory=dict)  # see EquityView


@dataclass(frozen=True)
class FeeSummary:
    by_asset: dict[str, Decimal]  # fee units per asset
    by_pair_usd: dict[str, Decimal]
    total_usd: Decimal
    unvalued_trades: int = 0  # fees that could not be converted to USD


@dataclass(frozen=True)
class PortfolioSnapshot:
    """Contract §3.4. *Partial* (not ``complete``) when a holding could not be valued: its
    equity then leaves that holding out, so it is never equity history (drawdown, charts)."""

    timestamp: datetime
    equity_base: Decimal
    cash_base: Decimal
    asset_valuations: tuple[AssetValuation, ...]
    realized_pnl_base_total: Decimal
    unrealized_pnl_base_total: Decimal
    realized_pnl_base_by_pair: dict[str, Decimal]
    unrealized_pnl_base_by_pair: dict[str, Decimal]
    drift_flag: bool = False
    id: int | None = None

    @property
    def unvalued_assets(self) -> tuple[str, ...]:
        return tuple(v.asset for v in self.asset_valuations if v.unvalued)

    @property
    def complete(self) -> bool:
        return not self.unvalued_assets


@dataclass(frozen=True)
class AssetDiff:
    """One asset where the books and the exchange disagree."""

    asset: str
    books: Decimal
    exchange: Decimal
    value_usd: Decimal | None  # |difference| priced; None when the asset has no price

    @property
    def difference(self) -> Decimal:
        return self.exchange - self.books


@dataclass(frozen=True)
class Reconciliation:
    """The outcome of books-vs-``Balance`` after a sync; drift if anything is out of tolerance."""

    checked_at: datetime
    drift_flag: bool
    diffs: tuple[AssetDiff, ...] = ()
    unexplained_sells: dict[str, Decimal] = field(default_factory=dict)

    @property
    def drift_assets(self) -> tuple[str, ...]:
        names = {diff.asset for diff in self.diffs} | set(self.unexplained_sells)
        return tuple(sorted(names))


@dataclass(frozen=True)
class SyncSummary:
    """What one ``sync()`` did (contract §6.1)."""

    new_trades: int
    new_ledger_entries: int
    new_cash_flows: int
    new_orders: int
    updated_pairs: tuple[str, ...]
    drift_detected: bool
    drift_assets: tuple[str, ...]
    rebuilt: bool  # True: the books were replayed from the start (history arrived out of order)
