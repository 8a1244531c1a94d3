"""Asset checks on the OHLC history, per daily partition (``partitions_def`` like the asset).

Each reads the Parquet files as they are (krakked_core/market_data/quality.py), so a bad bar
written by anything fails the check instead of being filtered away by the reader.
"""

from typing import Any

import dagster as dg

from krakked_core.market_data.quality import (
    BarRange,
    RangeFindings,
    duplicate_bars,
    lagging_pairs,
    live_disagreements,
    misaligned_bars,
    running_bars,
)
from krakked_pipeline.assets.ohlc import OHLC_ASSETS, OHLC_PARTITIONS
from krakked_pipeline.resources import MarketData


def _bar_range(
    context: dg.AssetCheckExecutionContext, market_data: MarketData, timeframe: str
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


def build_checks(timeframe: str, asset: dg.AssetsDefinition) -> list[dg.AssetChecksDefinition]:
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
