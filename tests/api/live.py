"""A live `krakked api` process on loopback, aimed at a sandbox exchange the test runs, on a
migrated SQLite app DB; stopped (and waited for) when the context ends."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests
import yaml

from krakked_core.loopback import free_port
from krakked_core.paths import AppPaths

START_TIMEOUT = 30.0


@contextmanager
def live_api(
    paths: AppPaths, config: dict[str, Any], env: dict[str, str], log: Path
) -> Iterator[str]:
    """Write ``config`` as the config file, start `krakked api`, yield its base URL."""
    paths.config_file.write_text(yaml.safe_dump(config))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "krakked_core.cli", "api", "--port", str(port)],
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_for(url, process, log)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def _wait_for(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"krakked api exited: {log.read_text()}")
        try:
            if requests.get(f"{url}/api/system/health", timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"krakked api did not answer in {START_TIMEOUT} s: {log.read_text()}")
