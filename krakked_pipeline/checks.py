"""Asset checks on the OHLC history, per daily partition (``partitions_def`` like the asset).

Each reads the Parquet files as they are (krakked_core/market_data/quality.py), so a bad bar
written by anything fails the check instead of being filtered away by the reader.

Those run when a partition materializes, so they cannot see a pipeline that stopped. For that,
each scheduled ``ohlc_<timeframe>`` also has Dagster's last-update freshness check, evaluated by
a sensor on its own: it warns when no partition materialized for a few tail intervals.
"""

import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import dagster as dg

from krakked_core.config import AppConfig
from krakked_core.market_data.quality import (
    BarRange,
    RangeFindings,
    duplicate_bars,
    lagging_pairs,
    live_disagreements,
    misaligned_bars,
    running_bars,
)
from krakked_core.market_data.tail import tail_every_seconds
from krakked_core.model.market import Timeframe
from krakked_pipeline.assets.ohlc import OHLC_ASSETS, OHLC_PARTITIONS
from krakked_pipeline.resources import MarketData


def _bar_range(
    context: dg.AssetCheckExecutionContext, market_data: MarketData, timeframe: Timeframe
) -> BarRange:
    window = context.partition_time_window
    pairs = tuple(pair.canonical for pair in market_data.api().get_universe_metadata())
    return BarRange(pairs, timeframe, int(window.start.timestamp()), int(window.end.timestamp()))


def _result(
    findings: RangeFindings,
    severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.ERROR,
    **extra: Any,
) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        passed=findings.ok,
        severity=severity,
        metadata={
            "rows": findings.rows,
            "bad": findings.total,
            "by_pair": dg.MetadataValue.json(findings.by_pair),
            **extra,
        },
    )


def build_checks(
    timeframe: Timeframe, asset: dg.AssetsDefinition
) -> list[dg.AssetChecksDefinition]:
    """The five checks of one ``ohlc_<timeframe>`` asset."""

    @dg.asset_check(asset=asset, name="no_duplicate_bars", partitions_def=OHLC_PARTITIONS)
    def no_duplicate_bars(
        context: dg.AssetCheckExecutionContext, market_data: MarketData
    ) -> dg.AssetCheckResult:
        return _result(
            duplicate_bars(market_data.store(), _bar_range(context, market_data, timeframe))
        )

    @dg.asset_check(asset=asset, name="no_running_candle", partitions_def=OHLC_PARTITIONS)
    def no_running_candle(
        context: dg.AssetCheckExecutionContext, market_data: MarketData
    ) -> dg.AssetCheckResult:
        rng = _bar_range(context, market_data, timeframe)
        return _result(running_bars(market_data.store(), rng, market_data.now()))

    @dg.asset_check(asset=asset, name="bars_aligned", partitions_def=OHLC_PARTITIONS)
    def bars_aligned(
        context: dg.AssetCheckExecutionContext, market_data: MarketData
    ) -> dg.AssetCheckResult:
        return _result(
            misaligned_bars(market_data.store(), _bar_range(context, market_data, timeframe))
        )

    @dg.asset_check(asset=asset, name="fresh", partitions_def=OHLC_PARTITIONS)
    def fresh(
        context: dg.AssetCheckExecutionContext, market_data: MarketData
    ) -> dg.AssetCheckResult:
        rng = _bar_range(context, market_data, timeframe)
        findings = lagging_pairs(market_data.store(), rng, market_data.now())
        return _result(findings, dg.AssetCheckSeverity.WARN)

    @dg.asset_check(asset=asset, name="live_agrees_with_rest", partitions_def=OHLC_PARTITIONS)
    def live_agrees_with_rest(
        context: dg.AssetCheckExecutionContext, market_data: MarketData
    ) -> dg.AssetCheckResult:
        api = market_data.api()
        rng = _bar_range(context, market_data, timeframe)
        compared, findings = live_disagreements(api.store, api.live, rng)
        return _result(findings, compared=compared)

    return [no_duplicate_bars, no_running_candle, bars_aligned, fresh, live_agrees_with_rest]


OHLC_CHECKS = {tf: build_checks(tf, asset) for tf, asset in OHLC_ASSETS.items()}


# A tail run every interval; warn after this many intervals without one (at least 30 minutes).
FRESHNESS_MISSED_RUNS = 3
FRESHNESS_MINIMUM = timedelta(minutes=30)


def freshness_limit(timeframe: Timeframe) -> timedelta:
    """How long ``ohlc_<timeframe>`` may go without a materialization before it is overdue."""
    every = timedelta(seconds=tail_every_seconds(timeframe))
    return max(FRESHNESS_MINIMUM, FRESHNESS_MISSED_RUNS * every)


@contextmanager
def _superseded_ok() -> Iterator[None]:
    # Dagster now prefers FreshnessPolicy on the asset; these checks are still supported and show
    # up as ordinary asset checks (with history) in the UI, so keep them, without the warning.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.SupersessionWarning)
        yield


def build_freshness_checks(config: AppConfig) -> list[dg.AssetChecksDefinition]:
    """A last-update freshness check for each OHLC asset the tail schedules keep up to date."""
    with _superseded_ok():
        return [
            check
            for timeframe in config.market_data.timeframes
            for check in dg.build_last_update_freshness_checks(
                assets=[OHLC_ASSETS[timeframe]], lower_bound_delta=freshness_limit(timeframe)
            )
        ]


def build_freshness_sensor(checks: Sequence[dg.AssetChecksDefinition]) -> dg.SensorDefinition:
    """Evaluates the freshness checks on its own (no run needed), so a stalled pipeline shows."""
    with _superseded_ok():
        return dg.build_sensor_for_freshness_checks(
            freshness_checks=checks,
            name="ohlc_freshness_sensor",
            default_status=dg.DefaultSensorStatus.RUNNING,
        )
