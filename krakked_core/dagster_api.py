"""What the launcher asks a running Dagster webserver, over its HTTP/GraphQL API.

Plain HTTP: krakked_core imports no Dagster. ``krakked up`` uses it to tell when Dagster is
ready (the UI answers, the code location loaded, the daemon heartbeats) and, on shutdown, to
cancel in-flight runs so they end CANCELED rather than FAILURE.
"""

import time
from typing import Any

import requests

from krakked_core.errors import KrakkedError

# Runs that have not reached an end state (DagsterRunStatus).
IN_FLIGHT = ("QUEUED", "NOT_STARTED", "STARTING", "STARTED", "CANCELING")

_IN_FLIGHT_QUERY = """
query InFlight($statuses: [RunStatus!]) {
  runsOrError(filter: {statuses: $statuses}) {
    ... on Runs { results { runId status } }
  }
}"""
_TERMINATE = """
mutation Terminate($runIds: [String!]!) {
  terminateRuns(runIds: $runIds, terminatePolicy: SAFE_TERMINATE) { __typename }
}"""
_READINESS_QUERY = """
{
  workspaceOrError { ... on Workspace { locationEntries { name loadStatus
    locationOrLoadError { __typename } } } }
  instance { daemonHealth { allDaemonStatuses { daemonType required healthy } } }
}"""


class DagsterApiError(KrakkedError):
    """The Dagster webserver did not answer, or answered something unexpected."""


class DagsterApi:
    """The webserver at ``base_url`` (e.g. ``http://127.0.0.1:3000``)."""

    def __init__(self, base_url: str, timeout_seconds: float = 5) -> None:
        self.base_url = base_url.rstrip("/")
        self._timeout = timeout_seconds

    def not_ready_because(self) -> str | None:
        """None when the UI answers, the code location is loaded and the daemons are healthy."""
        try:
            requests.get(f"{self.base_url}/server_info", timeout=self._timeout).raise_for_status()
            data = self._query(_READINESS_QUERY)
        except DagsterApiError as exc:
            return str(exc)
        except requests.RequestException as exc:
            return f"the webserver does not answer yet ({type(exc).__name__})"
        entries = data["workspaceOrError"].get("locationEntries") or []
        if not entries:
            return "no code location yet"
        for entry in entries:
            if entry["loadStatus"] != "LOADED":
                return f"code location {entry['name']} is {entry['loadStatus'].lower()}"
            if entry["locationOrLoadError"]["__typename"] == "PythonError":
                return f"code location {entry['name']} failed to load (see the log file)"
        daemons = data["instance"]["daemonHealth"]["allDaemonStatuses"]
        unhealthy = [d["daemonType"] for d in daemons if d["required"] and not d["healthy"]]
        return f"daemons not running yet: {', '.join(unhealthy)}" if unhealthy else None

    def in_flight_runs(self) -> list[str]:
        """Ids of the runs that have not ended (queued, starting, started, canceling)."""
        data = self._query(_IN_FLIGHT_QUERY, {"statuses": list(IN_FLIGHT)})
        return [run["runId"] for run in data["runsOrError"].get("results") or []]

    def cancel_runs(self, run_ids: list[str]) -> None:
        """Ask Dagster to cancel these runs (queued ones end at once, started ones cleanly)."""
        if run_ids:
            self._query(_TERMINATE, {"runIds": run_ids})

    def cancel_in_flight_runs(self, timeout_seconds: float) -> list[str]:
        """Cancel every run in flight; wait until they ended; return the ids still running."""
        deadline = time.monotonic() + timeout_seconds
        running = self.in_flight_runs()
        self.cancel_runs(running)
        while running and time.monotonic() < deadline:
            time.sleep(0.5)
            running = self.in_flight_runs()
        return running

    def _query(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        try:
            response = requests.post(
                f"{self.base_url}/graphql",
                json={"query": query, "variables": variables or {}},
                timeout=self._timeout,
            )
            response.raise_for_status()
            body = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise DagsterApiError(f"Dagster GraphQL call failed: {type(exc).__name__}") from None
        if body.get("errors") or not isinstance(body.get("data"), dict):
            raise DagsterApiError(f"Dagster GraphQL answered errors: {body.get('errors')!r:.300}")
        data: dict[str, Any] = body["data"]
        return data
