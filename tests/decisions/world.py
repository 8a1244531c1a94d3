"""A real decision world on the app DB: universe table, Parquet OHLC store, the sidecar's live
tables, a PortfolioService over an in-memory account, and the engine on top. No mocks: the
account and the public REST client are fakes of their ports; everything else is the real code.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from krakked_core.clock import ManualClock
from krakked_core.config import AppConfig
from krakked_core.config_loading import parse_config
from krakked_core.control_state import ControlStateStore
from krakked_core.errors import NetworkError
from krakked_core.market_data.api import MarketDataAPI
from krakked_core.market_data.live_store import LiveStore
from krakked_core.market_data.ohlc_store import OhlcStore
from krakked_core.market_data.universe import UniverseBuild, UniverseRepository
from krakked_core.model.market import Bar, DataStatus, TickerSnapshot
from krakked_core.model.pairs import PairMetadata
from krakked_core.portfolio.service import PortfolioService
from krakked_core.portfolio.store import PortfolioStore
from krakked_core.strategy.decision_store import DecisionStore
from krakked_core.strategy.engine import StrategyRiskEngine
from tests.fakes.account import FakeAccount, FixedPrices

# A 1h candle close; bars below open hourly and the last one closes exactly here.
CLOSE = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
HOUR = 3600
EQUITY = Decimal(100_000)

CONFIG: dict[str, Any] = {
    "universe": {"min_24h_volume_usd": 0},
    "risk": {"min_liquidity_24h_usd": 1000, "volatility_lookback_bars": 20},
    "strategies": {
        "enabled": ["trend_v1"],
        "configs": {
            "trend_v1": {
                "type": "trend_following",
                "timeframes": ["1h"],
                "ma_fast": 3,
                "ma_slow": 5,
                "userref": 7,
            },
            "mean_rev_v1": {"type": "mean_reversion", "timeframes": ["15m"], "enabled": False},
        },
    },
}


def rising_bars(count: int, *, last_close: float, end: datetime = CLOSE) -> list[Bar]:
    """Hourly bars rising by 1 per bar; each bar's true range is exactly 3 (high−low)."""
    first_open = int(end.timestamp()) - count * HOUR
    bars = []
    for i in range(count):
        close = last_close - (count - 1 - i)
        bars.append(
            Bar(
                time=first_open + i * HOUR,
                open=close - 1,
                high=close + 1,
                low=close - 2,
                close=close,
                vwap=close,
                volume=10.0,
                count=5,
            )
        )
    return bars


class NoMarketGateway:
    """The exchange's public market data, never reached by a decision cycle (no backfill, no
    refresh)."""

    def _never(self, *args: object, **kwargs: object) -> Any:
        raise AssertionError("a decision cycle must not call Kraken's public REST endpoints")

    check_reachable = listed_pairs = tickers = bars = trades = _never


class UnreachableAccount:
    """An AccountSource whose exchange cannot be reached (the typed error the client raises)."""

    def _down(self, *args: object, **kwargs: object) -> Any:
        raise NetworkError("connection refused")

    trades_page = ledger_page = closed_orders_page = balances = _down


class Counting:
    """Delegate to ``target``, counting calls of the named methods."""

    def __init__(self, target: Any, *names: str) -> None:
        self._target = target
        self.calls = dict.fromkeys(names, 0)

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._target, name)
        if name not in self.calls:
            return attribute

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            return attribute(*args, **kwargs)

        return counted


@dataclass
class World:
    db: Engine
    root: Path
    clock: ManualClock = field(default_factory=lambda: ManualClock(CLOSE + timedelta(seconds=5)))
    account: FakeAccount = field(default_factory=FakeAccount)
    prices: FixedPrices = field(default_factory=lambda: FixedPrices({"XBTUSD": "129"}))
    config: AppConfig = field(default_factory=lambda: parse_config(CONFIG, origin="test"))

    def __post_init__(self) -> None:
        self.live = LiveStore(self.db, self.clock, 60)
        self.store = OhlcStore(self.root / "ohlc", self.clock)
        self.market = MarketDataAPI(
            engine=self.db,
            market=NoMarketGateway(),
            store=self.store,
            live=self.live,
            config=self.config,
            clock=self.clock,
        )
        self.portfolio = self.portfolio_on(self.account)
        self.control = ControlStateStore(self.db, self.clock)
        self.plans = 0
        self.decisions = DecisionStore(self.db)
        self.account.deposit("USD", str(EQUITY), CLOSE - timedelta(days=2))

    def portfolio_on(self, account: Any) -> PortfolioService:
        return PortfolioService(
            config=self.config.portfolio,
            store=PortfolioStore(self.db),
            account=account,
            prices=self.prices,
            clock=self.clock,
            history=self.prices,
        )

    def with_market(self, pairs: Sequence[PairMetadata], bars: dict[str, list[Bar]]) -> "World":
        """Store the universe and history, and publish fresh tickers and a connected feed."""
        build = UniverseBuild(list(pairs), {}, {}, len(pairs))
        UniverseRepository(self.db).save(build, CLOSE - timedelta(hours=1))
        for name, series in bars.items():
            self.store.append_bars(name, "1h", series, "rest_ohlc")
        self.publish(
            fresh=[p.canonical for p in pairs], last={n: b[-1].close for n, b in bars.items()}
        )
        return self

    def publish(
        self, *, fresh: Sequence[str], last: dict[str, float], connected: bool = True
    ) -> None:
        tickers = [
            TickerSnapshot(
                pair=name,
                bid=Decimal(str(price)),
                ask=Decimal(str(price)),
                last=Decimal(str(price)),
                volume_24h=Decimal(1000),
                vwap_24h=Decimal(str(price)),
                updated_at=self.clock.now(),
            )
            for name, price in last.items()
        ]
        status = DataStatus(
            rest_ok=True,
            ws_connected=connected,
            last_message_at=self.clock.now(),
            fresh_pairs=tuple(fresh),
            stale_pairs=tuple(sorted(set(last) - set(fresh))),
            subscription_errors=(),
        )
        self.live.publish(tickers=tickers, status=status)

    def next_plan_id(self) -> str:
        self.plans += 1
        return f"plan-{self.plans}"

    def engine(self, portfolio: Any = None, market: Any = None) -> StrategyRiskEngine:
        engine = StrategyRiskEngine(
            self.config,
            portfolio=portfolio or self.portfolio,
            market=market or self.market,
            control=self.control,
            decisions=self.decisions,
            clock=self.clock,
            plan_ids=self.next_plan_id,
        )
        engine.initialize()
        return engine
