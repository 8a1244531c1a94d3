"""Under the real Dagster daemon of `krakked up --sim`: one decision cycle per closed 1m candle.

The sensor runs in the daemon as in production (its cursor, its run keys, the run launcher), the
sidecar publishes the sandbox's candles, and each run stores a plan: the candle-close chain of
`test_strategy_cycle_e2e.py`, here without any test code standing in for Dagster.
"""

import json
import subprocess
import sys
import time
from typing import Any

import pytest

from tests.e2e.up_system import Dagster

pytestmark = pytest.mark.e2e

CYCLES = 2  # two closes show the cursor moving on, one run per close
WAIT_SECONDS = 240  # the first close after start-up, then one more a minute later
PAIRS = ["XBTUSD", "ETHUSD", "SOLUSD"]
RUNS = """
query {
  runsOrError(filter: {pipelineName: "strategy_cycle_job"}) {
    ... on Runs { results { runId status creationTime tags { key value } } }
  }
}
"""


@pytest.fixture
def up_config() -> dict[str, Any]:
    return {
        "market_data": {"timeframes": ["1m"]},
        "universe": {"include_pairs": PAIRS},
        "strategies": {
            "enabled": ["trend_daemon"],
            "configs": {
                "trend_daemon": {
                    "type": "trend_following",
                    "timeframes": ["1m"],
                    "universe_filter": {"pairs": PAIRS},
                    "ma_fast": 2,
                    "ma_slow": 3,
                    "min_trend_strength_pct": 0,
                }
            },
        },
    }


def _cycle_runs(dagster: Dagster) -> list[dict[str, Any]]:
    runs: list[dict[str, Any]] = dagster.query(RUNS)["runsOrError"]["results"]
    for run in runs:
        run["tags"] = {tag["key"]: tag["value"] for tag in run["tags"]}
    return runs


def _wait_for_cycles(dagster: Dagster) -> list[dict[str, Any]]:
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        runs = _cycle_runs(dagster)
        done = [run for run in runs if run["status"] in {"SUCCESS", "FAILURE", "CANCELED"}]
        if len(done) >= CYCLES or time.monotonic() > deadline:
            return sorted(done, key=lambda run: run["creationTime"])
        time.sleep(3)


@pytest.mark.skipif(sys.platform != "linux", reason="process groups as on the demo machine")
def test_the_daemon_runs_one_cycle_per_closed_candle_each_storing_its_plan(
    krakked_up: Dagster,
) -> None:
    runs = _wait_for_cycles(krakked_up)

    assert len(runs) >= CYCLES, f"{len(runs)} cycles within {WAIT_SECONDS} s"
    assert {run["status"] for run in runs} == {"SUCCESS"}
    keys = [run["tags"]["dagster/run_key"] for run in runs]
    assert len(set(keys)) == len(keys)  # exactly one run per candle
    closes = []
    for run, key in zip(runs, keys, strict=True):
        timeframe, close = key.split(":")
        assert timeframe == "1m" and int(close) % 60 == 0
        assert run["tags"]["krakked/close_ts"] == close
        # Requested once the candle had closed, not after waiting out the next one.
        assert int(close) <= run["creationTime"] < int(close) + 60
        closes.append(int(close))
    assert closes == sorted(closes)

    shown = subprocess.run(
        [sys.executable, "-m", "krakked_core.cli", "decisions", "--limit", "20", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    records = json.loads(shown.stdout)
    stored = {record["time"] for record in records if record["timeframe"] == "1m"}
    assert {_iso(close) for close in closes} <= stored  # every run stored its candle's plan


def _iso(epoch: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
