"""Print how long after a candle closes its decision cycle starts, under the real Dagster daemon.

    .venv/bin/python bench/candle_close_latency.py [--closes 5] [--pairs 6]

Starts `krakked up --sim` in a throwaway config/data dir with one 1m trend strategy over the
sandbox's first ``--pairs`` pairs, and waits until ``--closes`` decision cycles have run. For each
cycle (run key ``1m:<close>``) it reads from Dagster's GraphQL, in seconds after the close:

- run created: the sensor's tick saw the closed bars published and requested the run;
- run start / run end: the run's process started the job / the plan was stored.

Beside it, the naive baseline measured in the same run: a schedule that does not look at the
published bars must wait out the grace period a late bar gets (`DEFAULT_GRACE_SECONDS`), and then
pays the same launch cost (run created → run start) measured here. A script that prints figures;
it asserts nothing.
"""

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
import yaml

from krakked_core.loopback import free_port
from krakked_core.paths import AppPaths
from krakked_core.strategy.candle_close import DEFAULT_GRACE_SECONDS

STRATEGY = "trend_bench"
# Pairs liquid by construction in the sandbox's market table (the universe keeps them every day).
PAIRS = ["XBTUSD", "ETHUSD", "SOLUSD", "DOTUSD", "ADAUSD", "XRPUSD", "LTCUSD", "LINKUSD"]
RUNS = """
query {
  runsOrError(filter: {pipelineName: "strategy_cycle_job", statuses: [SUCCESS]}) {
    ... on Runs { results { creationTime startTime endTime tags { key value } } }
  }
}
"""


@dataclass(frozen=True)
class Cycle:
    close: int
    created: float
    started: float
    ended: float


def _config(pairs: list[str]) -> dict[str, Any]:
    return {
        "market_data": {"timeframes": ["1m"]},
        "universe": {"include_pairs": pairs},
        "risk": {"max_per_asset_pct": 100, "max_portfolio_risk_pct": 100},
        "strategies": {
            "enabled": [STRATEGY],
            "configs": {
                STRATEGY: {
                    "type": "trend_following",
                    "timeframes": ["1m"],
                    "universe_filter": {"pairs": pairs},
                    "ma_fast": 2,
                    "ma_slow": 3,
                    "min_trend_strength_pct": 0,
                }
            },
        },
    }


def _runs(port: int) -> list[dict[str, Any]]:
    answer = requests.post(
        f"http://127.0.0.1:{port}/graphql", json={"query": RUNS}, timeout=30
    ).json()
    results: list[dict[str, Any]] = answer["data"]["runsOrError"]["results"]
    return results


def _cycles(port: int) -> list[Cycle]:
    cycles = []
    for run in _runs(port):
        tags = {tag["key"]: tag["value"] for tag in run["tags"]}
        run_key = tags.get("dagster/run_key", "")
        if not run_key.startswith("1m:"):
            continue
        close = int(run_key.split(":", 1)[1])
        cycles.append(Cycle(close, run["creationTime"], run["startTime"], run["endTime"]))
    return sorted(cycles, key=lambda c: c.close)


def _show(label: str, seconds: list[float]) -> None:
    p95 = sorted(seconds)[max(0, round(0.95 * len(seconds)) - 1)]
    print(f"{label:44} median {statistics.median(seconds):6.2f} s   p95 {p95:6.2f} s")


def _report(cycles: list[Cycle]) -> None:
    print(f"{len(cycles)} cycles (1m closes, run key 1m:<close>), seconds after the close:")
    _show("run created (sensor tick)", [c.created - c.close for c in cycles])
    _show("run start (job begins)", [c.started - c.close for c in cycles])
    _show("run end (plan stored)", [c.ended - c.close for c in cycles])
    launch = [c.started - c.created for c in cycles]
    _show(
        f"naive: {DEFAULT_GRACE_SECONDS:.0f} s grace + the same launch → run start",
        [DEFAULT_GRACE_SECONDS + s for s in launch],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--closes", type=int, default=5)
    parser.add_argument("--pairs", type=int, default=6)
    parser.add_argument("--timeout", type=float, default=900, help="give up after (seconds)")
    args = parser.parse_args()
    pairs = PAIRS[: args.pairs]

    with tempfile.TemporaryDirectory() as tmp:
        paths = AppPaths(config_dir=Path(tmp) / "config", data_dir=Path(tmp) / "data").ensure()
        paths.config_file.write_text(yaml.safe_dump(_config(pairs)))
        env = {k: v for k, v in os.environ.items() if not k.startswith("KRAKKED_")}
        env["KRAKKED_CONFIG_DIR"] = str(paths.config_dir)
        env["KRAKKED_DATA_DIR"] = str(paths.data_dir)
        port = free_port()
        terminal = Path(tmp) / "terminal.txt"
        with terminal.open("wb") as out:
            command = ["up", "--sim", "--dagster-port", str(port)]
            up = subprocess.Popen(
                [sys.executable, "-m", "krakked_core.cli", *command],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=out,
                start_new_session=True,
            )
        try:
            deadline = time.monotonic() + args.timeout
            while "Krakked is up" not in terminal.read_text():
                if up.poll() is not None or time.monotonic() > deadline:
                    sys.exit(f"krakked up did not get ready:\n{terminal.read_text()[-2000:]}")
                time.sleep(1)
            print(f"krakked up --sim ready; waiting for {args.closes} 1m cycles over {pairs}")
            cycles: list[Cycle] = []
            while len(cycles) < args.closes:
                if up.poll() is not None or time.monotonic() > deadline:
                    sys.exit(f"only {len(cycles)} cycles:\n{terminal.read_text()[-2000:]}")
                time.sleep(5)
                cycles = _cycles(port)
            _report(cycles)
        finally:
            if up.poll() is None:
                up.send_signal(signal.SIGTERM)
                try:
                    up.wait(timeout=90)
                except subprocess.TimeoutExpired:
                    os.killpg(up.pid, signal.SIGKILL)
                    up.wait()


if __name__ == "__main__":
    main()
