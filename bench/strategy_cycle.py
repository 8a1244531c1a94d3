"""Print the time of one decision cycle (20 pairs × 3 strategies) and the sensor's latency.

    .venv/bin/python bench/strategy_cycle.py [--runs 20] [--pairs 20]

Builds a throwaway world: an app DB (SQLite) with a universe of synthetic USD pairs, 400 closed
1h bars each in a Parquet store, fresh tickers and a connected feed in the live tables, and a
portfolio of 100 000 USD. It times ``StrategyRiskEngine`` observe → generate → assess → record
(the cycle without the portfolio sync; the goal is ≤ 300 ms) beside a naive baseline in the same
run: the same 60 (strategy, pair) evaluations as pure-Python loops over each pair's whole stored
history. Then the candle-close sensor: one tick's evaluation, and from a bar's publication to
the run request. A script that prints figures; it asserts nothing.
"""

import argparse
import json
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import dagster as dg
import yaml

from krakked_core.clock import ManualClock
from krakked_core.config_loading import load_config
from krakked_core.control_state import ControlStateStore
from krakked_core.db import make_engine, upgrade
from krakked_core.market_data.api import MarketDataAPI
from krakked_core.market_data.live_store import LiveStore
from krakked_core.market_data.ohlc_store import OhlcStore
from krakked_core.market_data.universe import UniverseBuild, UniverseRepository
from krakked_core.model.account import AccountBalances, LedgerEntry, Page
from krakked_core.model.market import Bar, DataStatus, TickerSnapshot
from krakked_core.model.pairs import PairMetadata
from krakked_core.paths import AppPaths
from krakked_core.portfolio.service import PortfolioService
from krakked_core.portfolio.store import PortfolioStore
from krakked_core.strategy.decision_store import DecisionStore
from krakked_core.strategy.engine import StrategyRiskEngine
from krakked_pipeline.resources import ClockResource, KrakkedSettings, build_resources
from krakked_pipeline.sensors import candle_close_sensor

CLOSE = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
HOUR = 3600
BARS = 400
STRATEGIES = {
    "trend_v1": {"type": "trend_following", "timeframes": ["1h"]},
    "meanrev_v1": {"type": "mean_reversion", "timeframes": ["1h"]},
    "emarsi_v1": {"type": "ema_cross_rsi", "timeframes": ["1h"]},
}


class _NoRest:
    """A cycle never calls REST; anything else is a bench bug."""

    def __getattr__(self, name: str) -> object:
        raise RuntimeError(f"the bench does not call REST ({name})")


class _CashAccount:
    """An account holding 100 000 USD and no history (the sync runs once, untimed)."""

    def _empty(self, **_: object) -> Page[Any]:
        return Page(items=(), count=0)

    trades_page = closed_orders_page = _empty

    def ledger_page(self, *, offset: int, start: datetime | None) -> Page[LedgerEntry]:
        deposit = LedgerEntry(
            ledger_id="L1",
            refid="R1",
            time=CLOSE - timedelta(days=1),
            type="deposit",
            subtype="",
            kind="deposit",
            asset="USD",
            amount=Decimal(100_000),
            fee=Decimal(0),
        )
        items = (deposit,) if offset == 0 and start is None else ()
        return Page(items=items, count=len(items))

    def balances(self) -> AccountBalances:
        return AccountBalances({"USD": Decimal(100_000)})


def _pair(i: int) -> PairMetadata:
    base = f"A{i:02d}"
    return PairMetadata(
        canonical=f"{base}USD",
        base=base,
        quote="USD",
        rest_symbol=f"{base}USD",
        ws_symbol=f"{base}/USD",
        raw_name=f"{base}USD",
        price_decimals=4,
        volume_decimals=8,
        cost_decimals=5,
        lot_size=Decimal("0.00000001"),
        ordermin=Decimal("0.0001"),
        status="online",
    )


def _bars(rng: random.Random) -> list[Bar]:
    price, bars = 100.0, []
    first = int(CLOSE.timestamp()) - BARS * HOUR
    for i in range(BARS):
        close = max(1.0, price * (1 + rng.gauss(0.0005, 0.01)))
        high, low = max(price, close) * 1.003, min(price, close) * 0.997
        bars.append(
            Bar(
                time=first + i * HOUR,
                open=price,
                high=high,
                low=low,
                close=close,
                vwap=close,
                volume=1000.0,
                count=10,
            )
        )
        price = close
    return bars


def _world(root: Path, pairs: int) -> tuple[Any, MarketDataAPI, ManualClock, AppPaths]:
    paths = AppPaths(config_dir=root / "config", data_dir=root / "data").ensure()
    config_data = {
        "db": {"url": f"sqlite:///{root / 'app.db'}"},
        "market_data": {"ohlc_store": {"root_dir": str(root / "ohlc")}},
        "universe": {"min_24h_volume_usd": 0},
        "strategies": {"enabled": list(STRATEGIES), "configs": STRATEGIES},
    }
    paths.config_file.write_text(yaml.safe_dump(config_data))
    config = load_config(paths)
    db = make_engine(config.db.resolved_url(paths))
    upgrade(db)
    clock = ManualClock(CLOSE + timedelta(seconds=5))
    metadata = [_pair(i) for i in range(pairs)]
    UniverseRepository(db).save(UniverseBuild(metadata, {}, {}, pairs), CLOSE - timedelta(hours=1))
    store = OhlcStore(root / "ohlc", clock)
    rng = random.Random(7)
    last = {}
    for meta in metadata:
        bars = _bars(rng)
        store.append_bars(meta.canonical, "1h", bars, "rest_ohlc")
        last[meta.canonical] = Decimal(str(round(bars[-1].close, 4)))
    live = LiveStore(db, clock, 60)
    _publish(live, clock, last)
    market = MarketDataAPI(
        engine=db, market=_NoRest(), store=store, live=live, config=config, clock=clock
    )
    return (config, db), market, clock, paths


def _publish(live: LiveStore, clock: ManualClock, last: dict[str, Decimal]) -> None:
    tickers = [
        TickerSnapshot(
            pair=p,
            bid=px,
            ask=px,
            last=px,
            volume_24h=Decimal(10_000),
            vwap_24h=px,
            updated_at=clock.now(),
        )
        for p, px in last.items()
    ]
    status = DataStatus(
        rest_ok=True,
        ws_connected=True,
        last_message_at=clock.now(),
        fresh_pairs=tuple(last),
        stale_pairs=(),
        subscription_errors=(),
    )
    live.publish(tickers=tickers, status=status)


def _timed(fn: Callable[[], object], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return times


def _show(label: str, times: list[float]) -> None:
    p95 = sorted(times)[max(0, int(len(times) * 0.95) - 1)]
    print(f"{label:48} median {statistics.median(times):8.1f} ms   p95 {p95:8.1f} ms")


def _naive(market: MarketDataAPI, pairs: list[str]) -> None:
    """The same evaluations the slow way: whole history per (strategy, pair), Python loops."""
    for _strategy in STRATEGIES:
        for pair in pairs:
            closes = [bar.close for bar in market.get_ohlc_since(pair, "1h", 0)]
            fast = [sum(closes[i - 20 : i]) / 20 for i in range(20, len(closes) + 1)]
            slow = [sum(closes[i - 50 : i]) / 50 for i in range(50, len(closes) + 1)]
            _ = fast[-1] > slow[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--pairs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        (config, db), market, clock, paths = _world(Path(tmp), args.pairs)
        portfolio = PortfolioService(
            config=config.portfolio,
            store=PortfolioStore(db),
            account=_CashAccount(),
            prices=market,
            clock=clock,
        )
        engine = StrategyRiskEngine(
            config,
            portfolio=portfolio,
            market=market,
            control=ControlStateStore(db, clock),
            decisions=DecisionStore(db),
            clock=clock,
        )
        engine.initialize()
        sync = _timed(engine.sync, 1)

        def cycle() -> None:
            world = engine.observe(CLOSE, "1h")
            plan, status = engine.assess(world, engine.generate(world))
            engine.record(plan, status)

        print(f"{args.pairs} pairs × {len(STRATEGIES)} strategies, {BARS} 1h bars each")
        print(f"{'portfolio sync (not in the cycle)':48} {sync[0]:8.1f} ms")
        _show("cycle without sync (goal ≤ 300 ms)", _timed(cycle, args.runs))
        pairs = [meta.canonical for meta in market.get_universe_metadata()]
        _show(
            "naive baseline (whole history, Python loops)",
            _timed(lambda: _naive(market, pairs), max(3, args.runs // 4)),
        )
        _sensor_on_instance(paths, market, clock, pairs, args.runs)
        db.dispose()


def _sensor_on_instance(*args: Any) -> None:
    with dg.instance_for_test() as instance:
        _sensor(instance, *args)


def _sensor(
    instance: dg.DagsterInstance,
    paths: AppPaths,
    market: MarketDataAPI,
    clock: ManualClock,
    pairs: list[str],
    runs: int,
) -> None:
    settings = KrakkedSettings(config_dir=str(paths.config_dir), data_dir=str(paths.data_dir))
    cursor = json.dumps({"1h": int(CLOSE.timestamp()) - HOUR})  # the previous close's cycle ran

    def tick() -> Any:
        fixed = ClockResource(fixed_now=clock.now().isoformat())
        resources = build_resources(settings, fixed)
        with dg.build_sensor_context(
            instance=instance, cursor=cursor, resources=resources
        ) as context:
            return candle_close_sensor.evaluate_tick(context)

    _show("sensor tick (bars not yet published: skip)", _timed(tick, max(3, runs // 4)))
    live = market.live
    assert isinstance(live, LiveStore)
    # The store already holds the bar that closed at CLOSE: publish it as the sidecar would.
    closed = [(p, "1h", market.get_ohlc(p, "1h", 1)[0]) for p in pairs]
    start = time.perf_counter()
    live.publish(closed_bars=closed)
    result = tick()
    latency = (time.perf_counter() - start) * 1000
    assert result.run_requests, result.skip_message
    print(f"{'bar published → run requested (one tick)':48} {latency:8.1f} ms")
    print("  under the real daemon (sensor interval, run launch): bench/candle_close_latency.py")


if __name__ == "__main__":
    main()
