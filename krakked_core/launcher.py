"""Start and stop Krakked's processes together (`krakked up`).

Each component is a child process in its own session, with SIGINT/SIGTERM restored to their
defaults first: `dagster dev` started from a script otherwise inherits "ignore" and cannot be
stopped (shared/DAGSTER.md). Stopping sends SIGTERM to each process group, newest first, then
SIGKILL to whatever is still there after a grace period.
"""

import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from krakked_core.errors import KrakkedError

log = logging.getLogger(__name__)


class LaunchError(KrakkedError):
    """A component failed to start or announce itself."""


@dataclass(frozen=True)
class Component:
    name: str
    argv: Sequence[str]
    env: Mapping[str, str] = field(default_factory=dict)


def _default_signals() -> None:  # runs in the child between fork and exec
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


@dataclass
class Running:
    component: Component
    process: subprocess.Popen[str]


class Supervisor:
    """Owns the child processes; ``stop()`` always leaves none behind."""

    def __init__(
        self, base_env: Mapping[str, str] | None = None, grace_seconds: float = 10
    ) -> None:
        self._env = dict(os.environ if base_env is None else base_env)
        self._grace = grace_seconds
        self._running: list[Running] = []

    @property
    def running(self) -> list[Running]:
        return list(self._running)

    def set_env(self, **values: str) -> None:
        """Environment for components started from now on."""
        self._env.update(values)

    def start(self, component: Component, *, capture_stdout: bool = False) -> Running:
        env = {**self._env, **component.env}
        process = subprocess.Popen(  # noqa: S603 - argv is ours, never a shell string
            list(component.argv),
            env=env,
            stdout=subprocess.PIPE if capture_stdout else None,
            text=True,
            start_new_session=True,
            preexec_fn=_default_signals,  # noqa: PLW1509 - only signal resets, no threads
        )
        running = Running(component, process)
        self._running.append(running)
        log.info("started %s (pid %d)", component.name, process.pid)
        return running

    def read_announcement(self, running: Running, timeout: float = 60) -> dict[str, Any]:
        """Read the first JSON line a component prints on stdout once it is ready."""
        stdout = running.process.stdout
        if stdout is None:
            raise LaunchError(f"{running.component.name}: stdout was not captured")
        line = _readline_with_timeout(stdout, timeout)
        if not line:
            code = running.process.poll()
            raise LaunchError(f"{running.component.name} exited ({code}) before it was ready")
        try:
            announced: dict[str, Any] = json.loads(line)
        except json.JSONDecodeError:
            raise LaunchError(f"{running.component.name} printed {line!r}, not JSON") from None
        # Keep draining stdout so a chatty child never blocks on a full pipe.
        threading.Thread(target=_drain, args=(stdout,), daemon=True).start()
        return announced

    def run_once(self, component: Component, timeout: float = 300) -> None:
        """Run a short command to completion (e.g. a schema upgrade); raise if it fails."""
        env = {**self._env, **component.env}
        result = subprocess.run(list(component.argv), env=env, timeout=timeout, check=False)  # noqa: S603
        if result.returncode != 0:
            raise LaunchError(f"{component.name} failed with exit code {result.returncode}")

    def first_exited(self) -> Running | None:
        return next((r for r in self._running if r.process.poll() is not None), None)

    def wait(self, should_stop: Callable[[], bool], poll_seconds: float = 0.5) -> Running | None:
        """Block until asked to stop or a component exits; return the one that exited."""
        while not should_stop():
            exited = self.first_exited()
            if exited is not None:
                return exited
            time.sleep(poll_seconds)
        return None

    def stop(self) -> None:
        """SIGTERM every process group, wait for each group to empty, SIGKILL what remains.

        Waiting for the direct child is not enough: `dagster dev` exits before its webserver,
        daemon and code server, which share its process group.
        """
        for running in reversed(self._running):
            _signal_group(running.process, signal.SIGTERM)
        deadline = time.monotonic() + self._grace
        for running in reversed(self._running):
            if not _wait_group(running.process, deadline):
                log.warning("%s did not stop in time; killing it", running.component.name)
                _signal_group(running.process, signal.SIGKILL)
                _wait_group(running.process, time.monotonic() + 5)
        self._running.clear()


def _wait_group(process: subprocess.Popen[str], deadline: float) -> bool:
    """Reap the child, then wait until no process of its group is left; False on timeout."""
    try:
        process.wait(timeout=max(0.1, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        return False
    while time.monotonic() < deadline:
        try:
            os.killpg(process.pid, 0)  # signal 0: does any member of the group remain?
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def _signal_group(process: subprocess.Popen[str], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):  # already gone
        os.killpg(process.pid, sig)


def _readline_with_timeout(stream: IO[str], timeout: float) -> str:
    result: list[str] = []
    reader = threading.Thread(target=lambda: result.append(stream.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    if reader.is_alive():
        raise LaunchError(f"no announcement within {timeout:.0f} s")
    return result[0] if result else ""


def _drain(stream: IO[str]) -> None:
    for line in stream:
        sys.stdout.write(line)


def krakked_argv(*args: str) -> list[str]:
    """Run a `krakked` subcommand with this very interpreter (works inside any venv)."""
    return [sys.executable, "-m", "krakked_core.cli", *args]
