"""A `krakked up --sim` in a child process, and its Dagster webserver read and driven through
its GraphQL."""

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

STARTUP_SECONDS = 240  # first start: sandbox, history import, two Dagster runs, Dagster
RUN_SECONDS = 180
LOCATION = "krakked"  # the code location name `up` gives in its workspace.yaml
LAUNCH = """
mutation($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
  }
}
"""
RUN_STATUS = "query($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }"


def start_up(port: int, terminal: Path) -> subprocess.Popen[bytes]:
    with terminal.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "krakked_core.cli", "up", "--sim", "--dagster-port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=out,
            start_new_session=True,
        )


def wait_for(
    condition: Callable[[], bool], seconds: float, what: str, up: subprocess.Popen[bytes]
) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert up.poll() is None, f"krakked up exited early with {up.returncode}"
        assert time.monotonic() < deadline, f"{what} within {seconds} s"
        time.sleep(0.5)


class Dagster:
    def __init__(self, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}"

    def answers(self) -> bool:
        try:
            return requests.get(f"{self.url}/server_info", timeout=2).ok
        except requests.RequestException:
            return False

    def query(self, text: str, **variables: Any) -> dict[str, Any]:
        body = {"query": text, "variables": variables}
        answer = requests.post(f"{self.url}/graphql", json=body, timeout=30).json()
        assert "errors" not in answer, answer["errors"]
        data: dict[str, Any] = answer["data"]
        return data

    def launch(self, job: str, partition: str | None = None) -> str:
        tags = [{"key": "dagster/partition", "value": partition}] if partition else []
        params = {
            "selector": {
                "repositoryLocationName": LOCATION,
                "repositoryName": "__repository__",
                "jobName": job,
            },
            "executionMetadata": {"tags": tags},
        }
        launched = self.query(LAUNCH, params=params)["launchRun"]
        assert launched["__typename"] == "LaunchRunSuccess", launched
        run_id: str = launched["run"]["runId"]
        return run_id

    def wait_for(self, run_ids: list[str]) -> dict[str, str]:
        deadline = time.monotonic() + RUN_SECONDS
        while True:
            statuses = {
                run_id: self.query(RUN_STATUS, id=run_id)["runOrError"]["status"]
                for run_id in run_ids
            }
            done = all(s in {"SUCCESS", "FAILURE", "CANCELED"} for s in statuses.values())
            if done or time.monotonic() > deadline:
                return statuses
            time.sleep(2)
