"""Start and stop Krakked's processes together (`krakked up`).

Each component is a child process in its own session, with SIGINT/SIGTERM restored to their
defaults first: Dagster's processes started from a script otherwise inherit "ignore" and cannot
be stopped (shared/DAGSTER.md). Given an ``OutputRouter``, each child's output goes to its log
file (and the lines that matter to the terminal). Stopping sends SIGTERM to each process group,
newest first, then SIGKILL to whatever is still there after a grace period.
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
from pathlib import Path
from typing import IO, Any

from krakked_core.child_logs import OutputRouter
from krakked_core.errors import KrakkedError

log = logging.getLogger(__name__)


class LaunchError(KrakkedError):
    """A component failed to start or announce itself."""


@dataclass(frozen=True)
class Component:
    name: str
    argv: Sequence[str]
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: Path | None = None


def _default_signals() -> None:  # runs in the child between fork and exec
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


@dataclass
class Running:
    component: Component
    process: subprocess.Popen[str]
    log_file: Path | None = None

    def where_to_look(self) -> str:
        return f"; see {self.log_file}" if self.log_file else ""


class Supervisor:
    """Owns the child processes; ``stop()`` always leaves none behind."""

    def __init__(
        self,
        base_env: Mapping[str, str] | None = None,
        grace_seconds: float = 10,
        router: OutputRouter | None = None,
    ) -> None:
        self._env = dict(os.environ if base_env is None else base_env)
        self._grace = grace_seconds
        self._router = router
        self._running: list[Running] = []

    @property
    def running(self) -> list[Running]:
        return list(self._running)

    def set_env(self, **values: str) -> None:
        """Environment for components started from now on."""
        self._env.update(values)

    def start(self, component: Component, *, capture_stdout: bool = False) -> Running:
        running = self._spawn(component, capture_stdout=capture_stdout)
        self._running.append(running)
        log.info("started %s (pid %d)", component.name, running.process.pid)
        return running

    def _spawn(self, component: Component, *, capture_stdout: bool) -> Running:
        routed = self._router is not None
        process = subprocess.Popen(  # noqa: S603 - argv is ours, never a shell string
            list(component.argv),
            env={**self._env, **component.env},
            cwd=component.cwd,
            stdout=subprocess.PIPE if capture_stdout or routed else None,
            # Without a captured stdout, both streams share one pipe: one file, in order.
            stderr=(subprocess.PIPE if capture_stdout else subprocess.STDOUT) if routed else None,
            text=True,
            start_new_session=True,
            preexec_fn=_default_signals,  # noqa: PLW1509 - only signal resets, no threads
        )
        running = Running(component, process)
        if self._router is not None:
            routed_stream = process.stderr if capture_stdout else process.stdout
            assert routed_stream is not None  # piped just above
            running.log_file = self._router.attach(component.name, routed_stream)
        return running

    def read_announcement(self, running: Running, timeout: float = 60) -> dict[str, Any]:
        """Read the first JSON line a component prints on stdout once it is ready."""
        stdout = running.process.stdout
        if stdout is None:
            raise LaunchError(f"{running.component.name}: stdout was not captured")
        line = _readline_with_timeout(stdout, timeout)
        if not line:
            code = running.process.poll()
            raise LaunchError(
                f"{running.component.name} exited ({code}) before it was ready"
                + running.where_to_look()
            )
        try:
            announced: dict[str, Any] = json.loads(line)
        except json.JSONDecodeError:
            raise LaunchError(f"{running.component.name} printed {line!r}, not JSON") from None
        # Keep draining stdout so a chatty child never blocks on a full pipe.
        threading.Thread(target=_drain, args=(stdout,), daemon=True).start()
        return announced

    def run_once(self, component: Component, timeout: float = 300) -> None:
        """Run a short command to completion (e.g. a schema upgrade); raise if it fails."""
        running = self._spawn(component, capture_stdout=False)
        try:
            code = running.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise LaunchError(
                f"{component.name} did not finish within {timeout:.0f} s" + running.where_to_look()
            ) from None
        finally:  # timed out, or interrupted by a signal: never leave it running
            if running.process.poll() is None:
                _signal_group(running.process, signal.SIGKILL)
                running.process.wait()
        if code != 0:
            raise LaunchError(
                f"{component.name} failed with exit code {code}" + running.where_to_look()
            )

    def wait_until_ready(
        self,
        name: str,
        not_ready_because: Callable[[], str | None],
        timeout_seconds: float,
        poll_seconds: float = 0.5,
    ) -> None:
        """Poll until ``not_ready_because()`` returns None; raise naming ``name`` if it never does.

        Any component exiting meanwhile ends the wait at once, naming that component.
        """
        deadline = time.monotonic() + timeout_seconds
        while True:
            exited = self.first_exited()
            if exited is not None:
                raise LaunchError(
                    f"{exited.component.name} exited with code {exited.process.returncode} "
                    f"before {name} was ready" + exited.where_to_look()
                )
            reason = not_ready_because()
            if reason is None:
                return
            if time.monotonic() >= deadline:
                shown = self._find(name)
                raise LaunchError(
                    f"{name} did not come up within {timeout_seconds:.0f} s ({reason})"
                    + (shown.where_to_look() if shown else "")
                )
            time.sleep(poll_seconds)

    def _find(self, name: str) -> Running | None:
        return next((r for r in self._running if r.component.name == name), None)

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

    def stop(self, *names: str) -> None:
        """Stop the named components (all, newest first, without names); none is left behind.

        SIGTERM a process group, wait for it to empty, SIGKILL what remains, then the next. Waiting
        for the direct child is not enough: a Dagster code server exits before the run workers
        it started, which share its process group.
        """
        chosen = [r for r in reversed(self._running) if not names or r.component.name in names]
        # One at a time: a consumer (the sidecar) stops before what it reads (the sandbox) goes.
        for running in chosen:
            _signal_group(running.process, signal.SIGTERM)
            if not _wait_group(running.process, time.monotonic() + self._grace):
                log.warning("%s did not stop in time; killing it", running.component.name)
                _signal_group(running.process, signal.SIGKILL)
                _wait_group(running.process, time.monotonic() + 5)
            self._running.remove(running)

    def is_running(self, name: str) -> bool:
        found = self._find(name)
        return found is not None and found.process.poll() is None


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
