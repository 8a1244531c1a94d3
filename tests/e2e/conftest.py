"""What the e2e tests that start `krakked up --sim` share: the running system, and its Dagster."""

import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from krakked_core.loopback import free_port
from krakked_core.paths import AppPaths
from tests.e2e.up_system import STARTUP_SECONDS, Dagster, start_up, wait_for


@pytest.fixture
def up_config() -> dict[str, Any] | None:
    """The config.yaml `krakked up --sim` starts with (None: the embedded defaults). A test
    module overrides this fixture to run the system with its own strategies or limits."""
    return None


@pytest.fixture
def krakked_up(
    app_paths: AppPaths, tmp_path: Path, up_config: dict[str, Any] | None
) -> Iterator[Dagster]:
    if up_config is not None:
        app_paths.config_file.write_text(yaml.safe_dump(up_config))
    port = free_port()
    terminal = tmp_path / "terminal.txt"
    up = start_up(port, terminal)
    try:
        wait_for(lambda: "Krakked is up" in terminal.read_text(), STARTUP_SECONDS, "ready", up)
        yield Dagster(port)
    finally:
        if up.poll() is None:
            up.send_signal(signal.SIGTERM)
            try:
                up.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(up.pid, signal.SIGKILL)
                up.wait()
