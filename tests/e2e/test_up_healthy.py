"""A fresh `krakked up --sim` looks healthy: history at once, no failed check after its tails.

Read through the running Dagster webserver's GraphQL, as its UI reads them. The tail and sync
jobs are launched through it too (the daemon runs them as it runs scheduled ones), so the test
need not wait for their cron ticks.
"""

import subprocess
import sys
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from krakked_core.market_data.tail import tail_partition_day
from krakked_core.paths import AppPaths
from tests.e2e.up_system import RUN_SECONDS, Dagster

pytestmark = pytest.mark.e2e

CHECKS = """
query {
  assetNodes {
    assetKey { path }
    partitionStats { numMaterialized }
    assetMaterializations(limit: 1) { timestamp }
    assetChecksOrError {
      ... on AssetChecks {
        checks { name executionForLatestMaterialization { status } }
      }
    }
  }
}
"""


def _nodes(dagster: Dagster) -> dict[str, dict[str, Any]]:
    return {"/".join(n["assetKey"]["path"]): n for n in dagster.query(CHECKS)["assetNodes"]}


def _settled_check_statuses(dagster: Dagster) -> dict[str, str | None]:
    """Check statuses once no check is still running: a scheduled tail (the 5m one, say) may
    have started its own checks while the test's runs ended; they are judged when done."""
    deadline = time.monotonic() + RUN_SECONDS
    while True:
        statuses = _check_statuses(_nodes(dagster))
        if "IN_PROGRESS" not in statuses.values() or time.monotonic() > deadline:
            return statuses
        time.sleep(2)


def _check_statuses(nodes: dict[str, dict[str, Any]]) -> dict[str, str | None]:
    statuses = {}
    for asset, node in nodes.items():
        for check in node["assetChecksOrError"].get("checks", []):
            execution = check["executionForLatestMaterialization"]
            statuses[f"{asset}:{check['name']}"] = execution and execution["status"]
    return statuses


@pytest.mark.skipif(sys.platform != "linux", reason="process groups as on the demo machine")
def test_fresh_up_sim_has_its_history_at_once_and_no_failed_check_after_its_tails(
    krakked_up: Dagster, app_paths: AppPaths
) -> None:
    dagster = krakked_up
    readme_example = ["ohlc", "--pair", "XBTUSD", "--timeframe", "1h", "--lookback", "24"]
    ohlc = subprocess.run(
        [sys.executable, "-m", "krakked_core.cli", *readme_example],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert ohlc.returncode == 0, ohlc.stderr  # the README's example works at once
    assert len(ohlc.stdout.splitlines()) == 24

    history = _nodes(dagster)
    assert history["pair_universe"]["assetMaterializations"], "pair_universe never materialized"
    for timeframe in ("1m", "5m", "15m", "1h", "4h", "1d"):  # every day before today's
        assert history[f"ohlc_{timeframe}"]["partitionStats"]["numMaterialized"] >= 30

    today = tail_partition_day(datetime.now(UTC), "1m").isoformat()
    runs = [dagster.launch("ohlc_1m_tail_job", today), dagster.launch("portfolio_sync_job")]
    assert set(dagster.wait_for(runs).values()) == {"SUCCESS"}

    statuses = _settled_check_statuses(dagster)
    assert {name: s for name, s in statuses.items() if s not in {"SUCCEEDED", None}} == {}
    ran = {name for name, s in statuses.items() if s == "SUCCEEDED"}
    assert {f"ohlc_1m:{name}" for name in ("live_agrees_with_rest", "fresh")} <= ran
    assert "portfolio_snapshot:portfolio_reconciled" in ran
