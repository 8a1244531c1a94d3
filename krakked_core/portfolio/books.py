"""The books in the store: replayed from the start, or brought up to date with a sync's events.

A sync's new events that all come after everything applied so far are applied to the stored
books. History that arrived out of order means a replay from the start: an event older than the
books, a fee row that says a trade already applied paid its fee in another asset, or the second
leg of a transfer whose first leg is in the books already. Each trade's realized PnL and the
books' checkpoint are stored with the books.
"""

import gc
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from krakked_core.clock import Clock
from krakked_core.errors import PriceNotFinalError
from krakked_core.portfolio import assets
from krakked_core.portfolio.ledger import STATE_VERSION, Event, Ledger, event_key
from krakked_core.portfolio.store import PortfolioStore
from krakked_core.portfolio.sync import Ingested
from krakked_core.portfolio.valuation import FEE_CREDITS, EventPrices

logger = logging.getLogger(__name__)


class Books:
    """The stored books of one base currency."""

    def __init__(self, store: PortfolioStore, clock: Clock, base_currency: str) -> None:
        self._history = store.history
        self._state = store.state
        self._clock = clock
        self._base = base_currency

    def rebuild(self) -> Ledger:
        """Replay every stored event from the start and store the books."""
        ledger = Ledger(base_currency=self._base)
        with _cycle_collection_paused():
            events: list[Event] = [
                *self._history.load_trade_events(),
                *self._history.load_cash_flows(),
            ]
            self._apply(ledger, events)
        return ledger

    def update(self, previous: Ledger | None, ingested: Ingested) -> tuple[Ledger, bool]:
        """Bring ``previous`` (the stored books, None for none) up to date with what a sync
        stored; True when that took a replay from the start."""
        trades = self._history.load_trade_events(ingested.trade_ids)
        flows = self._history.load_cash_flows(ingested.cash_flow_ids)
        events: list[Event] = [*trades, *flows]
        if previous is None or self._needs_replay(previous, events, ingested):
            if previous is not None:
                logger.info("history arrived out of order: replaying the books from the start")
            return self.rebuild(), True
        if events:
            self._apply(previous, events)
        if previous.applied != self._history.count_events():
            # Another process moved the books at the same time: start again from the store.
            logger.warning("the books' checkpoint does not cover the stored history: replaying")
            return self.rebuild(), True
        return previous, False

    def stored(self) -> Ledger | None:
        """The stored books; None when there are none or they predate the current layout."""
        state = self._state.load_state()
        if not state or state.get("version") != STATE_VERSION:
            return None
        return Ledger.from_state(state)

    def current(self) -> Ledger:
        """The stored books (replayed once if they predate this version); empty before the first
        sync."""
        ledger = self.stored()
        if ledger is not None:
            return ledger
        if self._state.load_state() is not None:  # books of an older layout: replay once
            logger.info("the stored books predate this version: replaying them")
            return self.rebuild()
        return Ledger(base_currency=self._base)

    def value_fee_credits(self, prices: EventPrices) -> bool:
        """Value fee credits stored with no value (by a version that had no price for them);
        True when any were (the stored books are then out of date)."""
        fees, inflows = self._history.unvalued_rows_of(FEE_CREDITS)
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
        self._history.set_usd_values(*found)
        return True

    def _needs_replay(self, ledger: Ledger, events: Sequence[Event], ingested: Ingested) -> bool:
        if ledger.last_key is not None and any(event_key(e) <= ledger.last_key for e in events):
            return True
        # A fee row that arrived after its trade was applied, saying the fee was not in quote.
        new_trades = set(ingested.trade_ids)
        late_fees = {
            tid: asset
            for tid, asset in self._history.trade_fee_assets(ingested.ledger_ids).items()
            if tid not in new_trades
        }
        known = self._history.trades_exist(list(late_fees))
        if any(assets.root(late_fees[tid]) != quote for tid, (_b, quote) in known.items()):
            return True
        # The second leg of a transfer whose first leg is already in the books.
        refids = [f.refid for f in self._history.load_cash_flows(ingested.cash_flow_ids) if f.refid]
        return bool(self._history.cash_flow_refids(refids, exclude=ingested.cash_flow_ids))

    def _apply(self, ledger: Ledger, events: list[Event]) -> None:
        self._history.save_trade_pnl(ledger.replay(events))
        self._state.save_state(ledger.to_state(), self._clock.now())


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
