"""End to end on the sandbox: a 1m candle closes, the sidecar publishes it, the sensor asks for a
cycle, the job stores a plan whose size is the ATR formula's.

The sandbox is pinned to 2026-03-02 12:05:40 (its market is a function of its clock and seed):
the 12:05 candle closes about 20 s into the test, and at that close the trend is up for
XBTUSD (SMA(2) > SMA(3) over the 12:03–12:05 closes), so the trend strategy enters.
"""

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any

import dagster as dg
import pytest
import yaml

from krakked_core.config_loading import load_config
from krakked_core.db import make_engine, upgrade
from krakked_core.market_data.api import build_market_data_api
from krakked_core.market_data.live_store import LiveStore
from krakked_core.paths import AppPaths
from krakked_core.sidecar import Sidecar
from krakked_core.sim import SandboxExchange, SimSettings
from krakked_core.strategy.decision_store import DecisionStore
from krakked_core.strategy.sources import CycleCandles
from krakked_pipeline.definitions import defs
from krakked_pipeline.jobs import strategy_cycle_job
from krakked_pipeline.resources import ClockResource, KrakkedSettings, build_resources
from tests.fakes.sidecar import FAST_WS, sidecar_thread

pytestmark = pytest.mark.e2e

START = datetime(2026, 3, 2, 12, 5, 40, tzinfo=UTC)
CLOSE = datetime(2026, 3, 2, 12, 6, tzinfo=UTC)
LOOKBACK = 20
RISK_PCT = Decimal("0.01")


@pytest.fixture
def sim(monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxExchange]:
    with SandboxExchange(SimSettings(seed=2, history_days=1, tier="none"), now=START) as exchange:
        monkeypatch.setenv("KRAKKED_API_KEY", exchange.api_key)
        monkeypatch.setenv("KRAKKED_API_SECRET", exchange.api_secret)
        yield exchange


def _config(sim: SandboxExchange) -> dict[str, Any]:
    return {
        "exchange": {"rest_url": sim.rest_url, "ws_url": sim.ws_url, "tier": "pro"},
        "market_data": {"timeframes": ["1m"], "ws": FAST_WS},
        "universe": {"include_pairs": ["XBTUSD"], "min_24h_volume_usd": 0},
        "risk": {
            "max_risk_per_trade_pct": float(RISK_PCT),
            "max_per_asset_pct": 100,
            "max_portfolio_risk_pct": 100,
            "volatility_lookback_bars": LOOKBACK,
            "min_liquidity_24h_usd": 0,
        },
        "strategies": {
            "enabled": ["trend_e2e"],
            "configs": {
                "trend_e2e": {
                    "type": "trend_following",
                    "timeframes": ["1m"],
                    "universe_filter": {"pairs": ["XBTUSD"]},
                    "ma_fast": 2,
                    "ma_slow": 3,
                    "min_trend_strength_pct": 0,
                }
            },
        },
    }


def _resources(app_paths: AppPaths, sim: SandboxExchange) -> dict[str, Any]:
    settings = KrakkedSettings(
        config_dir=str(app_paths.config_dir), data_dir=str(app_paths.data_dir)
    )
    # The cycle runs on the sandbox's time, from now on at real pace.
    clock = ClockResource(fixed_now=sim.clock.now().isoformat(), running=True)
    return build_resources(settings, clock)


def _tick_until_requested(app_paths: AppPaths, sim: SandboxExchange) -> tuple[Any, list[str]]:
    # The 12:05 cycle ran already (as if the daemon had been up): wait for the next close.
    cursor, skipped = json.dumps({"1m": int(CLOSE.timestamp()) - 60}), []
    sensor = defs.resolve_sensor_def("candle_close_sensor")
    deadline = time.monotonic() + 60
    with dg.instance_for_test() as instance:
        while time.monotonic() < deadline:
            with dg.build_sensor_context(
                instance=instance, cursor=cursor, resources=_resources(app_paths, sim)
            ) as context:
                result = sensor.evaluate_tick(context)
            cursor = result.cursor
            if result.run_requests:
                return result.run_requests, skipped
            skipped.append(result.skip_message or "")
            time.sleep(0.5)
    raise AssertionError(f"no cycle requested; the sensor said: {skipped[-3:]}")


def test_candle_close_on_the_sandbox_runs_one_cycle_sized_by_atr(
    sim: SandboxExchange, app_paths: AppPaths
) -> None:
    app_paths.config_file.write_text(yaml.safe_dump(_config(sim)))
    config = load_config(app_paths)
    db = make_engine(config.db.resolved_url(app_paths))
    upgrade(db)
    market = build_market_data_api(config, app_paths, db, clock=sim.clock, show_progress=False)
    market.refresh_universe()
    market.backfill_ohlc("XBTUSD", "1m")
    sidecar = Sidecar(
        config=config,
        store=LiveStore(db, sim.clock, FAST_WS["stale_tolerance_seconds"]),
        pairs=[market.get_pair_metadata("XBTUSD")],
        clock=sim.clock,
        rest=None,
    )
    try:
        with sidecar_thread(sidecar):
            # The first ticks skip: the 12:06 close has not come yet.
            [request], skipped = _tick_until_requested(app_paths, sim)
            assert request.run_key == f"1m:{int(CLOSE.timestamp())}"
            assert skipped, "the sensor fired before the candle closed"
            # Fired on the published bar, not at the end of the grace period.
            assert sim.clock.now() < CLOSE + timedelta(seconds=15)
            result = strategy_cycle_job.execute_in_process(
                run_config=request.run_config,
                resources=_resources(app_paths, sim),
                tags=request.tags,
            )
            assert result.success
        bars = CycleCandles(market, CLOSE).get_ohlc("XBTUSD", "1m", LOOKBACK + 1)
        store = DecisionStore(db)
        [record] = store.recent()
        plan = store.load_plan(record.plan_id)
    finally:
        db.dispose()

    assert plan is not None and plan.generated_at == CLOSE
    [intent] = plan.intents
    assert (intent.pair, intent.intent_type) == ("XBTUSD", "enter")
    [action] = plan.actions
    assert (action.action_type, action.blocked, action.clamped) == ("open", False, False)
    assert bars[-1].time == int(CLOSE.timestamp()) - 60  # the bar the sidecar just published
    expected = Decimal(100_000) * RISK_PCT / 100 / (2 * _atr(bars))
    assert abs(action.target_base_size - expected) <= Decimal("0.00000001")


def _atr(bars: list[Any]) -> Decimal:
    """The simple mean of the last LOOKBACK true ranges."""
    ranges = [
        max(b.high - b.low, abs(b.high - prev.close), abs(b.low - prev.close))
        for prev, b in pairwise(bars)
    ]
    return sum((Decimal(str(r)) for r in ranges[-LOOKBACK:]), Decimal(0)) / LOOKBACK
