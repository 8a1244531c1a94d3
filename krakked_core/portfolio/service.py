"""``PortfolioService``: the portfolio's one surface for risk, strategies, the API and the CLI.

``sync()`` ingests new history (``sync``), brings the books up to date (``books``), reconciles
them against ``Balance`` (``reconcile``) and stores the outcome. Queries read the stored books,
balances and reconciliation, value them at current prices (``valuation``), and tell positions,
PnL (``pnl``) and who made each trade (``attribution``).
"""

import logging
from datetime import datetime, timedelta
from decimal import Decimal

from krakked_core.clock import Clock
from krakked_core.config import PortfolioConfig
from krakked_core.errors import PortfolioError, PositionNotFoundError
from krakked_core.portfolio import assets
from krakked_core.portfolio.attribution import Tagger, counts, tagger
from krakked_core.portfolio.books import Books
from krakked_core.portfolio.ledger import Ledger, trade_record
from krakked_core.portfolio.models import (
    AssetExposure,
    AssetValuation,
    CashFlowRecord,
    EquityView,
    FeeSummary,
    PnLSummary,
    PortfolioSnapshot,
    Position,
    RealizedPnLRecord,
    SyncSummary,
)
from krakked_core.portfolio.pnl import (
    nonzero,
    percentage,
    positions,
    realized_by_pair,
    unrealized_total,
)
from krakked_core.portfolio.reconcile import reconcile_books
from krakked_core.portfolio.store import PortfolioStore
from krakked_core.portfolio.sync import Ingestor
from krakked_core.portfolio.valuation import EventPrices, Prices, cash, equity, holdings
from krakked_core.ports import AccountSource, HistoricalPriceSource, PriceSource

logger = logging.getLogger(__name__)


class PortfolioService:
    """Contract Phase 3 §6. Every collaborator is passed in.

    ``prices`` values holdings now; ``history`` values events (a non-USD quote, a crypto inflow,
    a fee in a third asset) at their own time. Without ``history`` such events get no USD value
    (units without basis, fees unvalued), never today's price.
    """

    def __init__(
        self,
        *,
        config: PortfolioConfig,
        store: PortfolioStore,
        account: AccountSource,
        prices: PriceSource,
        clock: Clock,
        history: HistoricalPriceSource | None = None,
    ) -> None:
        self._config = config
        self._store = store
        self._account = account
        self._price_source = prices
        self._history = history
        self._clock = clock
        self._books = Books(store, clock, config.base_currency)

    # --- lifecycle ----------------------------------------------------------------------

    def initialize(self) -> SyncSummary:
        """First sync (or catch-up after a restart), and snapshot retention."""
        summary = self.sync()
        self.prune_snapshots()
        return summary

    def sync(self) -> SyncSummary:
        """Ingest new history, update the books, reconcile against ``Balance``."""
        prices = self._prices()
        at_event = EventPrices(self._history, prices, self._clock)
        ingested = Ingestor(self._account, self._store, self._clock, at_event).run()
        now = self._clock.now()
        self._store.state.save_balances(ingested.balances, now)
        previous = self._books.stored()
        unexplained_before = dict(previous.unexplained) if previous else {}
        if self._books.value_fee_credits(at_event):
            previous = None  # stored values changed: replay the books with them
        ledger, rebuilt = self._books.update(previous, ingested)
        recon = reconcile_books(
            ledger,
            ingested.balances,
            unexplained_before=unexplained_before,
            pending=ingested.pending,
            price_of=prices.price,
            tracked=self._tracked,
            tolerance=self._config.reconciliation_tolerance,
            at=now,
        )
        self._store.state.save_reconciliation(recon, now)
        self._log_cash_flows(ingested.cash_flow_ids)
        trades = self._store.history.load_trade_events(ingested.trade_ids)
        return SyncSummary(
            new_trades=len(ingested.trade_ids),
            new_ledger_entries=len(ingested.ledger_ids),
            new_cash_flows=len(ingested.cash_flow_ids),
            new_orders=len(ingested.order_ids),
            updated_pairs=tuple(sorted({t.pair for t in trades})),
            drift_detected=recon.drift_flag,
            drift_assets=recon.drift_assets,
            rebuilt=rebuilt,
        )

    def rebuild(self) -> Ledger:
        """Replay every stored event from the start and store the books."""
        return self._books.rebuild()

    # --- equity and PnL -----------------------------------------------------------------

    def get_equity(self) -> EquityView:
        prices = self._prices()
        valuations = self._valuations(prices)
        ledger = self._books.current()
        held = self._positions(ledger, prices)
        recon = self._store.state.reconciliation()
        balances = self._store.state.balances()
        as_of = balances.as_of if balances else None
        max_age = timedelta(seconds=self._config.stale_after_seconds)
        return EquityView(
            equity_base=equity(valuations),
            cash_base=cash(valuations, self._config.base_currency),
            realized_pnl_base_total=ledger.realized_total,
            unrealized_pnl_base_total=unrealized_total(held),
            drift_flag=recon.drift_flag if recon else False,
            drift_assets=recon.drift_assets if recon else (),
            unvalued_assets=tuple(v.asset for v in valuations if v.unvalued),
            balances_as_of=as_of,
            never_synced=as_of is None,
            stale=as_of is not None and self._clock.now() - as_of > max_age,
            realized_excluded=nonzero(ledger.realized_excluded),
        )

    def get_pnl_summary(
        self, period: str = "all", include_manual: bool | None = None
    ) -> PnLSummary:
        if period != "all":
            raise PortfolioError(f"period {period!r} is not supported yet (only 'all')")
        include = self._config.track_manual_trades if include_manual is None else include_manual
        ledger = self._books.current()
        held = self._positions(ledger, self._prices())
        if include:
            realized = dict(ledger.realized_by_pair)
        else:
            tag = self._tagger()
            realized = realized_by_pair(
                self._store.history.all_trade_pnl(), lambda txid: counts(tag(txid), include)
            )
        kept = [p for p in held if counts(p.strategy_tag or "", include)]
        return PnLSummary(
            realized_total=sum(realized.values(), Decimal(0)),
            unrealized_total=unrealized_total(kept),
            realized_by_pair=dict(realized),
            unrealized_by_pair={
                p.pair: p.unrealized_pnl_base for p in kept if p.unrealized_pnl_base is not None
            },
            include_manual=include,
            unvalued_pairs=tuple(p.pair for p in kept if not p.valued),
            realized_excluded=nonzero(ledger.realized_excluded),
        )

    # --- positions and exposure ---------------------------------------------------------

    def get_positions(self) -> list[Position]:
        return self._positions(self._books.current(), self._prices())

    def get_position(self, pair: str) -> Position:
        wanted = pair.upper().replace("/", "")
        for item in self.get_positions():
            if item.pair == wanted:
                return item
        raise PositionNotFoundError(f"no open position for {pair}")

    def get_asset_exposure(self) -> list[AssetExposure]:
        """Each holding's share of equity; no shares while any holding is unvalued (see
        ``AssetExposure``)."""
        valuations = self._valuations(self._prices())
        total = equity(valuations) if not any(v.unvalued for v in valuations) else None
        return [
            AssetExposure(
                asset=v.asset,
                amount=v.amount,
                value_base=v.value_base,
                percentage_of_equity=percentage(v.value_base, total),
                unvalued_reason=v.unvalued_reason,
            )
            for v in valuations
        ]

    # --- trades, fees, cash flows -------------------------------------------------------

    def get_trade_history(
        self, pair: str | None = None, limit: int | None = None, include_manual: bool | None = None
    ) -> list[RealizedPnLRecord]:
        """Newest first, with each trade's realized PnL and strategy tag."""
        include = self._config.track_manual_trades if include_manual is None else include_manual
        tag = self._tagger()
        history = self._store.history
        trades = history.get_trades(pair=pair, limit=None if not include else limit)
        kept = [t for t in trades if counts(tag(t.order_txid), include)][:limit]
        pnl = history.trade_pnl([t.trade_id for t in kept])
        return [trade_record(t, pnl.get(t.trade_id) or Decimal(0), tag(t.order_txid)) for t in kept]

    def get_fee_summary(self) -> FeeSummary:
        ledger = self._books.current()
        return FeeSummary(
            by_asset=dict(ledger.fees_by_asset),
            by_pair_usd=dict(ledger.fees_usd_by_pair),
            total_usd=sum(ledger.fees_usd_by_pair.values(), Decimal(0)),
            unvalued_trades=ledger.unvalued_fee_trades,
        )

    def get_cash_flows(
        self, asset: str | None = None, limit: int | None = None
    ) -> list[CashFlowRecord]:
        return self._store.history.get_cash_flows(
            asset=assets.normalize(asset) if asset else None, limit=limit
        )

    # --- snapshots ----------------------------------------------------------------------

    def create_snapshot(self) -> PortfolioSnapshot:
        """Value the portfolio now, store the snapshot, prune those past retention."""
        prices = self._prices()
        ledger = self._books.current()
        valuations = self._valuations(prices)
        held = self._positions(ledger, prices)
        recon = self._store.state.reconciliation()
        unrealized = {
            p.pair: p.unrealized_pnl_base for p in held if p.unrealized_pnl_base is not None
        }
        snapshot = PortfolioSnapshot(
            timestamp=self._clock.now(),
            equity_base=equity(valuations),
            cash_base=cash(valuations, self._config.base_currency),
            asset_valuations=tuple(valuations),
            realized_pnl_base_total=ledger.realized_total,
            unrealized_pnl_base_total=sum(unrealized.values(), Decimal(0)),
            realized_pnl_base_by_pair=dict(ledger.realized_by_pair),
            unrealized_pnl_base_by_pair=unrealized,
            drift_flag=recon.drift_flag if recon else False,
        )
        snapshot_id = self._store.snapshots.save_snapshot(snapshot)
        if not snapshot.complete:
            logger.warning(
                "snapshot %s is partial (%s unvalued): kept out of equity history",
                snapshot_id,
                ", ".join(snapshot.unvalued_assets),
                extra={"snapshot_id": snapshot_id, "unvalued": list(snapshot.unvalued_assets)},
            )
        self.prune_snapshots()
        return PortfolioSnapshot(**{**snapshot.__dict__, "id": snapshot_id})

    def get_snapshots(
        self, since: datetime | None = None, limit: int | None = None, include_partial: bool = False
    ) -> list[PortfolioSnapshot]:
        """Equity history, newest first: complete snapshots only, unless ``include_partial``
        (a partial snapshot's equity leaves out what could not be valued)."""
        return self._store.snapshots.get_snapshots(
            since=since, limit=limit, include_partial=include_partial
        )

    def latest_snapshot(self) -> PortfolioSnapshot | None:
        """The newest snapshot, partial or not."""
        return next(iter(self.get_snapshots(limit=1, include_partial=True)), None)

    def prune_snapshots(self) -> int:
        cutoff = self._clock.now() - timedelta(days=self._config.snapshot_retention_days)
        return self._store.snapshots.prune_snapshots(cutoff)

    # --- collaborators ------------------------------------------------------------------

    def _prices(self) -> Prices:
        config = self._config
        return Prices(
            self._price_source, config.base_currency, config.valuation_pairs, config.kfee_usd_value
        )

    def _tracked(self, asset: str) -> bool:
        return assets.is_tracked(asset, self._config.include_assets, self._config.exclude_assets)

    def _valuations(self, prices: Prices) -> list[AssetValuation]:
        balances = self._store.state.balances()
        return holdings(balances.amounts if balances else {}, prices, self._tracked)

    def _positions(self, ledger: Ledger, prices: Prices) -> list[Position]:
        return positions(
            ledger,
            prices,
            tracked=self._tracked,
            tag=self._tagger(),
            owners=self._store.history.trades_of_asset_since,
        )

    def _tagger(self) -> Tagger:
        orders = self._store.orders
        return tagger(
            orders.order_tags(), orders.strategies_by_cl_ord_id(), self._config.strategy_tags
        )

    def _log_cash_flows(self, ids: list[str]) -> None:
        for flow in self._store.history.load_cash_flows(ids):
            logger.info(
                "external activity: %s %s %s (%s)",
                flow.type,
                flow.amount,
                flow.asset,
                flow.id,
                extra={"cash_flow": flow.id, "type": flow.type, "asset": flow.asset},
            )


__all__ = ["PortfolioService"]
