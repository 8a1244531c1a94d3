"""Gather one cycle's view of the world: the RiskContext and what the strategies see.

Read once per cycle, in one place: data status, equity, positions, complete snapshots of the
last 24 h, the manual kill switch (fresh from ``control_state``), universes, prices, bars for the
ATR and 24h liquidity. Anything that cannot be read is left out and named in ``notes``; the risk
rules then refuse to open what they cannot check, so a cycle always ends in a plan.
"""

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from krakked_core.config import AppConfig
from krakked_core.control_state import ControlStateStore
from krakked_core.errors import DataError
from krakked_core.model.decisions import StrategyIntent
from krakked_core.model.market import Bar, DataStatus, Timeframe
from krakked_core.model.pairs import PairMetadata
from krakked_core.portfolio.models import MANUAL, EquityView, Position
from krakked_core.risk.context import DRAWDOWN_WINDOW, PositionExposure, RiskContext
from krakked_core.strategy.base import HeldPosition
from krakked_core.strategy.runner import StrategyRunner
from krakked_core.strategy.sources import CycleCandles, MarketReader, PortfolioReader
from krakked_core.strategy.universe import strategy_universe

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class WorldView:
    """What one cycle read before any strategy ran."""

    now: datetime
    timeframe: Timeframe
    equity: EquityView
    positions: tuple[Position, ...]
    data_status: DataStatus
    history: tuple[tuple[datetime, Decimal], ...]
    kill_switch_manual: bool
    kill_switch_reason: str
    universes: Mapping[str, tuple[str, ...]]
    pairs: tuple[PairMetadata, ...]
    liquidity_24h_usd: Mapping[str, Decimal]
    sync_error: str | None = None

    @property
    def held(self) -> dict[str, HeldPosition]:
        """Held positions as strategies see them, by pair."""
        return {
            p.pair: HeldPosition(p.pair, p.base_size, p.avg_entry_price, p.strategy_tag or MANUAL)
            for p in self.positions
        }

    @property
    def valuation_complete(self) -> bool:
        """Synced just now, recently enough, and every holding priced."""
        equity = self.equity
        fresh = self.sync_error is None and not (equity.never_synced or equity.stale)
        return fresh and equity.complete

    @property
    def notes(self) -> tuple[str, ...]:
        """Say in words what in this world keeps the cycle from opening risk."""
        equity = self.equity
        notes = []
        if self.sync_error:
            notes.append(f"portfolio sync failed: {self.sync_error}")
        if equity.never_synced:
            notes.append("portfolio never synced")
        elif equity.stale:
            notes.append("portfolio balances are stale")
        if equity.unvalued_assets:
            notes.append(f"unvalued assets: {', '.join(equity.unvalued_assets)}")
        if equity.drift_flag:
            notes.append(f"portfolio drift on {', '.join(equity.drift_assets) or 'some assets'}")
        if not self.data_status.ws_connected:
            notes.append("live market data feed is not connected")
        return tuple(notes)


def read_world(
    now: datetime,
    timeframe: Timeframe,
    *,
    config: AppConfig,
    portfolio: PortfolioReader,
    market: MarketReader,
    control: ControlStateStore,
    runner: StrategyRunner,
    sync_error: str | None = None,
) -> WorldView:
    """Read data status, portfolio, kill switch and universes (no sync: the caller syncs)."""
    status = market.get_data_status()
    equity = portfolio.get_equity()
    snapshots = portfolio.get_snapshots(since=now - DRAWDOWN_WINDOW)
    kill = control.kill_switch()
    markets = strategy_universes(config, market, runner)
    return WorldView(
        now=now,
        timeframe=timeframe,
        equity=equity,
        positions=tuple(portfolio.get_positions()),
        data_status=status,
        history=tuple((s.timestamp, s.equity_base) for s in snapshots if s.complete),
        kill_switch_manual=kill.active,
        kill_switch_reason=kill.reason,
        universes=markets.universes,
        pairs=markets.pairs,
        liquidity_24h_usd=markets.liquidity_24h_usd,
        sync_error=sync_error,
    )


@dataclass(frozen=True, slots=True)
class StrategyUniverses:
    """The market universe, its 24h USD liquidity, and each strategy's pairs within it."""

    pairs: tuple[PairMetadata, ...]
    liquidity_24h_usd: Mapping[str, Decimal]
    universes: Mapping[str, tuple[str, ...]]


def strategy_universes(
    config: AppConfig, market: MarketReader, runner: StrategyRunner
) -> StrategyUniverses:
    """Return each strategy's pairs: its filter within the universe, above the liquidity floor."""
    pairs = tuple(market.get_universe_metadata())
    liquidity = _liquidity(market, pairs)
    floor = _min_liquidity(config)
    universes = {
        s.id: strategy_universe(s.config.universe_filter, pairs, liquidity, floor)
        for s in runner.strategies
    }
    return StrategyUniverses(pairs, liquidity, universes)


def risk_context(
    world: WorldView,
    intents: Iterable[StrategyIntent],
    market: MarketReader,
    candles: CycleCandles,
    lookback: int,
) -> RiskContext:
    """The RiskContext of the cycle: the world plus prices and ATR bars of the pairs at stake."""
    exposures = tuple(_exposure(p) for p in world.positions if p.current_price is not None)
    at_stake = sorted({i.pair for i in intents} | {p.pair for p in world.positions})
    market_pairs = {p.canonical for p in world.pairs}
    return RiskContext(
        now=world.now,
        equity_usd=world.equity.equity_base,
        cash_usd=world.equity.cash_base,
        positions=exposures,
        prices=_prices(market, at_stake),
        bars=_bars(candles, at_stake, world.timeframe, lookback + 1),
        liquidity_24h_usd=world.liquidity_24h_usd,
        base_assets={p.canonical: p.base for p in world.pairs},
        equity_history=world.history,
        drift_flag=world.equity.drift_flag,
        valuation_complete=world.valuation_complete,
        unvalued_assets=world.equity.unvalued_assets,
        stale_pairs=_stale(world.data_status, market_pairs | set(at_stake)),
        kill_switch_manual=world.kill_switch_manual,
        kill_switch_reason=world.kill_switch_reason or None,
    )


def _min_liquidity(config: AppConfig) -> Decimal:
    floor = config.risk.min_liquidity_24h_usd
    return Decimal(str(config.universe.min_24h_volume_usd if floor is None else floor))


def _exposure(position: Position) -> PositionExposure:
    assert position.current_price is not None
    return PositionExposure(
        pair=position.pair,
        base_asset=position.base_asset,
        base_size=position.base_size,
        price=position.current_price,
        strategy_id=position.strategy_tag or MANUAL,
    )


def _stale(status: DataStatus, pairs: set[str]) -> frozenset[str]:
    """Pairs without fresh live data: stale, never seen, or every pair when the feed is down."""
    if not status.ws_connected:
        return frozenset(pairs)
    return frozenset(pairs - set(status.fresh_pairs)) | frozenset(status.stale_pairs)


def _liquidity(market: MarketReader, pairs: Iterable[PairMetadata]) -> dict[str, Decimal]:
    """24h USD volume per pair from the live tickers (a pair with no fresh ticker is left out)."""
    volumes = {}
    for pair in pairs:
        try:
            ticker = market.live.latest_ticker(pair.canonical)
        except DataError:
            continue
        volumes[pair.canonical] = ticker.volume_24h * ticker.vwap_24h
    return volumes


def _prices(market: MarketReader, pairs: Iterable[str]) -> dict[str, Decimal]:
    prices = {}
    for pair in pairs:
        try:
            prices[pair] = market.get_latest_price(pair)
        except DataError as exc:
            logger.warning("no current price for %s: %s", pair, exc)
    return prices


def _bars(
    candles: CycleCandles, pairs: Iterable[str], timeframe: Timeframe, count: int
) -> dict[str, list[Bar]]:
    bars = {}
    for pair in pairs:
        try:
            bars[pair] = candles.get_ohlc(pair, timeframe, count)
        except DataError as exc:
            logger.warning("no %s bars for %s's ATR: %s", timeframe, pair, exc)
    return bars
