"""``PortfolioService``: the portfolio's one surface for risk, strategies, the API and the CLI.

``sync()`` ingests new history, brings the books up to date (applying only the new events when
they come after everything applied so far, replaying from the start when history arrived out of
order), reconciles them against ``Balance`` and stores the outcome. Queries read the stored
books, balances and reconciliation and value them at current prices.
"""

import gc
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import Decimal

from krakked_core.clock import Clock
from krakked_core.config import PortfolioConfig
from krakked_core.errors import PortfolioError, PositionNotFoundError, PriceNotFinalError
from krakked_core.model.account import AccountBalances
from krakked_core.portfolio import assets
from krakked_core.portfolio.attribution import attribute, counts
from krakked_core.portfolio.ledger import STATE_VERSION, Event, Ledger, event_key, trade_record
from krakked_core.portfolio.models import (
    MANUAL,
    AssetExposure,
    AssetValuation,
    CashFlowRecord,
    EquityView,
    FeeSummary,
    PnLSummary,
    PortfolioSnapshot,
    Position,
    RealizedPnLRecord,
    Reconciliation,
    SyncSummary,
)
from krakked_core.portfolio.persisted import (
    balances_from_state,
    balances_to_state,
    reconciliation_from_state,
    reconciliation_to_state,
)
from krakked_core.portfolio.pnl import percentage, position, root_sums, single_tag, sum_by_pair
from krakked_core.portfolio.reconcile import reconcile
from krakked_core.portfolio.store import PortfolioStore
from krakked_core.portfolio.sync import Ingested, Ingestor
from krakked_core.portfolio.valuation import FEE_CREDITS, EventPrices, Prices
from krakked_core.ports import AccountSource, HistoricalPriceSource, PriceSource

logger = logging.getLogger(__name__)

Tagger = Callable[[str | None], str]


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
        self._store.put_state("balances", balances_to_state(ingested.balances, now), now)
        previous = self._load_ledger()
        unexplained_before = dict(previous.unexplained) if previous else {}
        if self._value_fee_credits(at_event):
            previous = None  # stored values changed: replay the books with them
        ledger, rebuilt = self._update_books(previous, ingested)
        recon = self._reconcile(
            ledger, unexplained_before, ingested.balances, prices, ingested.pending
        )
        self._store.put_state("reconciliation", reconciliation_to_state(recon), now)
        self._log_cash_flows(ingested.cash_flow_ids)
        trades = self._store.load_trade_events(ingested.trade_ids)
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
        ledger = Ledger(base_currency=self._config.base_currency)
        with _cycle_collection_paused():
            events: list[Event] = [
                *self._store.load_trade_events(),
                *self._store.load_cash_flows(),
            ]
            self._apply(ledger, events)
        return ledger

    # --- equity and PnL -----------------------------------------------------------------

    def get_equity(self) -> EquityView:
        prices = self._prices()
        valuations = self._valuations(prices)
        ledger = self._require_ledger()
        positions = self._positions(ledger, prices)
        recon = self._reconciliation()
        balances = self._store.get_state("balances")
        as_of = balances_from_state(balances)[1] if balances else None
        max_age = timedelta(seconds=self._config.stale_after_seconds)
        return EquityView(
            equity_base=_equity(valuations),
            cash_base=self._cash(valuations),
            realized_pnl_base_total=ledger.realized_total,
            unrealized_pnl_base_total=_unrealized_total(positions),
            drift_flag=recon.drift_flag if recon else False,
            drift_assets=recon.drift_assets if recon else (),
            unvalued_assets=tuple(v.asset for v in valuations if v.unvalued),
            balances_as_of=as_of,
            never_synced=as_of is None,
            stale=as_of is not None and self._clock.now() - as_of > max_age,
            realized_excluded=_nonzero(ledger.realized_excluded),
        )

    def get_pnl_summary(
        self, period: str = "all", include_manual: bool | None = None
    ) -> PnLSummary:
        if period != "all":
            raise PortfolioError(f"period {period!r} is not supported yet (only 'all')")
        include = self._config.track_manual_trades if include_manual is None else include_manual
        ledger = self._require_ledger()
        positions = self._positions(ledger, self._prices())
        if include:
            realized = dict(ledger.realized_by_pair)
        else:
            tag = self._tagger()
            realized = sum_by_pair(
                (pair, pnl or Decimal(0))
                for pair, _base, txid, pnl in self._store.all_trade_pnl()
                if counts(tag(txid), include)
            )
        kept = [p for p in positions if counts(p.strategy_tag or "", include)]
        return PnLSummary(
            realized_total=sum(realized.values(), Decimal(0)),
            unrealized_total=_unrealized_total(kept),
            realized_by_pair=dict(realized),
            unrealized_by_pair={
                p.pair: p.unrealized_pnl_base for p in kept if p.unrealized_pnl_base is not None
            },
            include_manual=include,
            unvalued_pairs=tuple(p.pair for p in kept if not p.valued),
            realized_excluded=_nonzero(ledger.realized_excluded),
        )

    # --- positions and exposure ---------------------------------------------------------

    def get_positions(self) -> list[Position]:
        return self._positions(self._require_ledger(), self._prices())

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
        equity = _equity(valuations) if not any(v.unvalued for v in valuations) else None
        return [
            AssetExposure(
                asset=v.asset,
                amount=v.amount,
                value_base=v.value_base,
                percentage_of_equity=percentage(v.value_base, equity),
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
        trades = self._store.get_trades(pair=pair, limit=None if not include else limit)
        kept = [t for t in trades if counts(tag(t.order_txid), include)][:limit]
        pnl = self._store.trade_pnl([t.trade_id for t in kept])
        return [trade_record(t, pnl.get(t.trade_id) or Decimal(0), tag(t.order_txid)) for t in kept]

    def get_fee_summary(self) -> FeeSummary:
        ledger = self._require_ledger()
        return FeeSummary(
            by_asset=dict(ledger.fees_by_asset),
            by_pair_usd=dict(ledger.fees_usd_by_pair),
            total_usd=sum(ledger.fees_usd_by_pair.values(), Decimal(0)),
            unvalued_trades=ledger.unvalued_fee_trades,
        )

    def get_cash_flows(
        self, asset: str | None = None, limit: int | None = None
    ) -> list[CashFlowRecord]:
        return self._store.get_cash_flows(
            asset=assets.normalize(asset) if asset else None, limit=limit
        )

    # --- snapshots ----------------------------------------------------------------------

    def create_snapshot(self) -> PortfolioSnapshot:
        """Value the portfolio now, store the snapshot, prune those past retention."""
        prices = self._prices()
        ledger = self._require_ledger()
        valuations = self._valuations(prices)
        positions = self._positions(ledger, prices)
        recon = self._reconciliation()
        unrealized = {
            p.pair: p.unrealized_pnl_base for p in positions if p.unrealized_pnl_base is not None
        }
        snapshot = PortfolioSnapshot(
            timestamp=self._clock.now(),
            equity_base=_equity(valuations),
            cash_base=self._cash(valuations),
            asset_valuations=tuple(valuations),
            realized_pnl_base_total=ledger.realized_total,
            unrealized_pnl_base_total=sum(unrealized.values(), Decimal(0)),
            realized_pnl_base_by_pair=dict(ledger.realized_by_pair),
            unrealized_pnl_base_by_pair=unrealized,
            drift_flag=recon.drift_flag if recon else False,
        )
        snapshot_id = self._store.save_snapshot(snapshot)
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
        return self._store.get_snapshots(since=since, limit=limit, include_partial=include_partial)

    def latest_snapshot(self) -> PortfolioSnapshot | None:
        """The newest snapshot, partial or not."""
        return next(iter(self.get_snapshots(limit=1, include_partial=True)), None)

    def prune_snapshots(self) -> int:
        cutoff = self._clock.now() - timedelta(days=self._config.snapshot_retention_days)
        return self._store.prune_snapshots(cutoff)

    # --- the books ----------------------------------------------------------------------

    def _update_books(self, previous: Ledger | None, ingested: Ingested) -> tuple[Ledger, bool]:
        trades = self._store.load_trade_events(ingested.trade_ids)
        flows = self._store.load_cash_flows(ingested.cash_flow_ids)
        events: list[Event] = [*trades, *flows]
        if previous is None or self._needs_replay(previous, events, ingested):
            if previous is not None:
                logger.info("history arrived out of order: replaying the books from the start")
            return self.rebuild(), True
        if events:
            self._apply(previous, events)
        if previous.applied != self._store.count_events():
            # Another process moved the books at the same time: start again from the store.
            logger.warning("the books' checkpoint does not cover the stored history: replaying")
            return self.rebuild(), True
        return previous, False

    def _needs_replay(self, ledger: Ledger, events: Sequence[Event], ingested: Ingested) -> bool:
        if ledger.last_key is not None and any(event_key(e) <= ledger.last_key for e in events):
            return True
        # A fee row that arrived after its trade was applied, saying the fee was not in quote.
        new_trades = set(ingested.trade_ids)
        late_fees = {
            tid: asset
            for tid, asset in self._store.trade_fee_assets(ingested.ledger_ids).items()
            if tid not in new_trades
        }
        known = self._store.trades_exist(list(late_fees))
        if any(assets.root(late_fees[tid]) != quote for tid, (_b, quote) in known.items()):
            return True
        # The second leg of a transfer whose first leg is already in the books.
        refids = [f.refid for f in self._store.load_cash_flows(ingested.cash_flow_ids) if f.refid]
        return bool(self._store.cash_flow_refids(refids, exclude=ingested.cash_flow_ids))

    def _value_fee_credits(self, prices: EventPrices) -> bool:
        """Value fee credits stored with no value (by a version that had no price for them);
        True when any were."""
        fees, inflows = self._store.unvalued_rows_of(FEE_CREDITS)
        try:
            fee_usd = {lid: prices.value_at(FEE_CREDITS, fee, t) for lid, fee, t in fees}
            value_usd = {f.id: prices.value_at(f.asset, f.net, f.time) for f in inflows}
        except PriceNotFinalError:
            return False  # a base other than USD, at a candle still forming: next sync
        found = (
            {k: v for k, v in fee_usd.items() if v is not None},
            {k: v for k, v in value_usd.items() if v is not None},
        )
        if not any(found):
            return False
        logger.info("fee credits stored without a value are valued now: replaying the books")
        self._store.set_usd_values(*found)
        return True

    def _apply(self, ledger: Ledger, events: list[Event]) -> None:
        self._store.save_trade_pnl(ledger.replay(events))
        self._store.save_state(ledger.to_state(), self._clock.now())

    def _load_ledger(self) -> Ledger | None:
        """The stored books; None when there are none or they predate the current layout."""
        state = self._store.load_state()
        if not state or state.get("version") != STATE_VERSION:
            return None
        return Ledger.from_state(state)

    def _require_ledger(self) -> Ledger:
        ledger = self._load_ledger()
        if ledger is not None:
            return ledger
        if self._store.load_state() is not None:  # books of an older layout: replay once
            logger.info("the stored books predate this version: replaying them")
            return self.rebuild()
        return Ledger(base_currency=self._config.base_currency)

    def _reconcile(
        self,
        ledger: Ledger,
        before: dict[str, Decimal],
        balances: AccountBalances,
        prices: Prices,
        pending: Mapping[str, Decimal],
    ) -> Reconciliation:
        newly_unexplained = {
            asset: qty - before.get(asset, Decimal(0))
            for asset, qty in ledger.unexplained.items()
            if qty > before.get(asset, Decimal(0))
        }
        tracked = self._tracked
        exchange = {
            asset: sum(parts.values(), Decimal(0))
            for asset, parts in root_sums(balances.amounts, assets.root).items()
            if tracked(asset)
        }
        # Rows held back until their price is final are in ``Balance`` already, not yet booked.
        books = {
            a: ledger.balances.get(a, Decimal(0)) + pending.get(a, Decimal(0))
            for a in {*ledger.balances, *pending}
            if tracked(a)
        }
        return reconcile(
            books,
            exchange,
            price_of=prices.price,
            tolerance=self._config.reconciliation_tolerance,
            unexplained_sells=newly_unexplained,
            at=self._clock.now(),
        )

    def _reconciliation(self) -> Reconciliation | None:
        state = self._store.get_state("reconciliation")
        return reconciliation_from_state(state) if state else None

    # --- valuation ----------------------------------------------------------------------

    def _prices(self) -> Prices:
        config = self._config
        return Prices(
            self._price_source, config.base_currency, config.valuation_pairs, config.kfee_usd_value
        )

    def _cash(self, valuations: Sequence[AssetValuation]) -> Decimal:
        base = self._config.base_currency
        return next((v.amount for v in valuations if v.asset == base), Decimal(0))

    def _tracked(self, asset: str) -> bool:
        return assets.is_tracked(asset, self._config.include_assets, self._config.exclude_assets)

    def _valuations(self, prices: Prices) -> list[AssetValuation]:
        state = self._store.get_state("balances")
        amounts = balances_from_state(state)[0] if state else {}
        result = []
        for asset, parts in sorted(root_sums(amounts, assets.root).items()):
            total = sum(parts.values(), Decimal(0))
            if not self._tracked(asset) or total == 0:
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

    def _positions(self, ledger: Ledger, prices: Prices) -> list[Position]:
        tag = self._tagger()
        result = []
        for asset, book in sorted(ledger.books.items()):
            if book.qty == 0 or not self._tracked(asset):
                continue
            pair = prices.pair_for(asset) or assets.canonical_pair(asset, prices.base_currency)
            since = book.opened_at
            owners = self._store.trades_of_asset_since(asset, since) if since else []
            result.append(
                position(
                    asset,
                    book,
                    pair=pair,
                    quote=prices.base_currency,
                    price=prices.price(asset),
                    # Every trade whose base is the asset, whatever it was quoted in.
                    realized=ledger.realized_by_asset.get(asset, Decimal(0)),
                    fees=ledger.fees_usd_by_asset.get(asset, Decimal(0)),
                    strategy_tag=single_tag(tag(txid) for txid in owners) if owners else MANUAL,
                )
            )
        return result

    def _tagger(self) -> Tagger:
        tags = self._store.order_tags()
        strategies = self._store.strategies_by_cl_ord_id()
        userrefs = self._config.strategy_tags

        def tag(order_txid: str | None) -> str:
            found = tags.get(order_txid) if order_txid else None
            if found is None:
                return MANUAL
            return attribute(
                found.cl_ord_id,
                found.userref,
                strategy_for_cl_ord_id=strategies.get,
                userref_tags=userrefs,
            )

        return tag

    def _log_cash_flows(self, ids: list[str]) -> None:
        for flow in self._store.load_cash_flows(ids):
            logger.info(
                "external activity: %s %s %s (%s)",
                flow.type,
                flow.amount,
                flow.asset,
                flow.id,
                extra={"cash_flow": flow.id, "type": flow.type, "asset": flow.asset},
            )


@contextmanager
def _cycle_collection_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for a replay.

    A replay builds a million small objects that form no cycles (events, Decimals, tuples); each
    700 of them set off a collection, and the older generations are walked again and again as
    they grow: about a third of a replay's time. Reference counting still frees everything.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _equity(valuations: Sequence[AssetValuation]) -> Decimal:
    """Equity: the sum of what could be valued (unvalued assets are named, not zero)."""
    return sum((v.value_base for v in valuations if v.value_base is not None), Decimal(0))


def _unrealized_total(positions: Sequence[Position]) -> Decimal:
    return sum(
        (p.unrealized_pnl_base for p in positions if p.unrealized_pnl_base is not None),
        Decimal(0),
    )


def _nonzero(values: dict[str, Decimal]) -> dict[str, Decimal]:
    return {key: value for key, value in sorted(values.items()) if value != 0}


__all__ = ["PortfolioService"]
