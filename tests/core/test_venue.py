"""While `krakked up --sim` runs, commands reach its sandbox; real Kraken is never mixed in."""

import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from krakked_core.cli import app
from krakked_core.cli.sim_cmd import credentials_file, load_or_create_credentials
from krakked_core.clock import ManualClock, SystemClock
from krakked_core.config_loading import DEFAULTS_SOURCE, ENV_SOURCE, load_effective_config
from krakked_core.errors import ConfigError
from krakked_core.loopback import free_port
from krakked_core.paths import AppPaths
from krakked_core.sim import SandboxExchange, SimSettings
from krakked_core.venue import (
    ActiveVenue,
    active_venue,
    clear_active_venue,
    record_active_venue,
)

PINNED = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def sandbox() -> Iterator[SandboxExchange]:
    with SandboxExchange(
        SimSettings(seed=3, history_days=2, tier="none"), ManualClock(PINNED)
    ) as sim:
        yield sim


def venue_of(sim: SandboxExchange, pid: int | None = None) -> ActiveVenue:
    return ActiveVenue(
        rest_url=sim.rest_url,
        ws_url=sim.ws_url,
        launcher_pid=os.getpid() if pid is None else pid,
        started_at=PINNED,
    )


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_default_urls_point_at_the_running_demo_and_say_so(
    app_paths: AppPaths, sandbox: SandboxExchange
) -> None:
    record_active_venue(app_paths, venue_of(sandbox))

    loaded = load_effective_config(app_paths, environ={})

    assert loaded.config.exchange.rest_url == sandbox.rest_url
    assert loaded.config.exchange.ws_url == sandbox.ws_url
    assert f"pid {os.getpid()}" in loaded.exchange_source
    assert str(app_paths.active_venue_file) in loaded.exchange_source


def test_explicit_kraken_url_while_a_demo_runs_is_refused_not_redirected(
    app_paths: AppPaths, sandbox: SandboxExchange
) -> None:
    record_active_venue(app_paths, venue_of(sandbox))
    app_paths.config_file.write_text("exchange:\n  rest_url: https://api.kraken.com\n")

    with pytest.raises(ConfigError) as caught:
        load_effective_config(app_paths, environ={})

    message = str(caught.value)
    assert "https://api.kraken.com" in message
    assert str(app_paths.config_file) in message
    assert sandbox.rest_url in message
    assert "KRAKKED_DATA_DIR" in message


def test_explicit_urls_equal_to_the_demo_are_kept_with_their_source(
    app_paths: AppPaths, sandbox: SandboxExchange
) -> None:
    record_active_venue(app_paths, venue_of(sandbox))
    env = {
        "KRAKKED_EXCHANGE__REST_URL": sandbox.rest_url,
        "KRAKKED_EXCHANGE__WS_URL": sandbox.ws_url,
    }

    loaded = load_effective_config(app_paths, environ=env)

    assert loaded.config.exchange.rest_url == sandbox.rest_url
    assert loaded.exchange_source == ENV_SOURCE


def test_record_of_a_crashed_launcher_is_ignored_with_a_warning(
    app_paths: AppPaths, sandbox: SandboxExchange, caplog: pytest.LogCaptureFixture
) -> None:
    record_active_venue(app_paths, venue_of(sandbox, pid=dead_pid()))

    with caplog.at_level(logging.WARNING):
        loaded = load_effective_config(app_paths, environ={})

    assert loaded.config.exchange.rest_url == "https://api.kraken.com"
    assert loaded.exchange_source == DEFAULTS_SOURCE
    assert "stale sandbox venue record" in caplog.text


def test_record_whose_sandbox_port_is_closed_is_stale(app_paths: AppPaths) -> None:
    port = free_port()
    venue = ActiveVenue(
        rest_url=f"http://127.0.0.1:{port}",
        ws_url=f"ws://127.0.0.1:{port}/v2",
        launcher_pid=os.getpid(),
        started_at=PINNED,
    )
    record_active_venue(app_paths, venue)

    assert active_venue(app_paths) is None


def test_malformed_record_is_a_config_error_naming_the_file_and_field(
    app_paths: AppPaths,
) -> None:
    app_paths.active_venue_file.write_text(json.dumps({"rest_url": "http://127.0.0.1:1"}))

    with pytest.raises(ConfigError) as caught:
        load_effective_config(app_paths, environ={})

    assert str(app_paths.active_venue_file) in str(caught.value)
    assert "ws_url" in str(caught.value)


def test_clear_removes_only_this_launchers_record(
    app_paths: AppPaths, sandbox: SandboxExchange
) -> None:
    record_active_venue(app_paths, venue_of(sandbox, pid=os.getppid()))
    clear_active_venue(app_paths)
    assert app_paths.active_venue_file.exists()

    record_active_venue(app_paths, venue_of(sandbox))
    clear_active_venue(app_paths)
    assert not app_paths.active_venue_file.exists()


def test_config_show_states_where_the_exchange_urls_came_from(
    app_paths: AppPaths, sandbox: SandboxExchange
) -> None:
    record_active_venue(app_paths, venue_of(sandbox))

    result = CliRunner().invoke(app, ["config", "show", "--json"])

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["exchange"]["rest_url"] == sandbox.rest_url
    assert "exchange URLs from the running sandbox demo" in result.stderr


def krakked(*args: str, db_url: str | None = None) -> subprocess.CompletedProcess[str]:
    """A command typed in another terminal: its own process, the same data dir."""
    return subprocess.run(
        [sys.executable, "-m", "krakked_core.cli", *args],
        env={**os.environ, **({"KRAKKED_DB__URL": db_url} if db_url else {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_universe_and_backfill_from_another_terminal_reach_the_running_sandbox(
    app_paths: AppPaths, engine: Engine, db_url: str
) -> None:
    # The commands run in their own processes on the host clock, so the sandbox runs on it too
    # and `--since` is taken from it: a pinned date would lie in the future on an earlier host
    # date. XBTUSD is liquid by construction on every date.
    settings = SimSettings(seed=3, history_days=2, tier="none")
    with SandboxExchange(settings, SystemClock()) as sim:
        record_active_venue(app_paths, venue_of(sim))
        since = (sim.clock.now() - timedelta(days=1)).date().isoformat()

        universe = krakked("universe", "--refresh", "--json", db_url=db_url)
        backfill = krakked(
            "backfill", "--pair", "XBTUSD", "--timeframe", "1h", "--since", since, db_url=db_url
        )

    assert universe.returncode == 0, universe.stderr
    assert "XBTUSD" in [pair["canonical"] for pair in json.loads(universe.stdout)]
    assert backfill.returncode == 0, backfill.stderr
    assert backfill.stdout.startswith("XBTUSD 1h: ")
    assert "rest_ohlc" in backfill.stdout
    assert list(app_paths.default_ohlc_dir.rglob("*.parquet"))


def test_up_while_a_demo_runs_on_the_data_dir_refuses_to_start(
    app_paths: AppPaths, sandbox: SandboxExchange
) -> None:
    record_active_venue(app_paths, venue_of(sandbox))

    done = krakked("up", "--sim")

    assert done.returncode == 1
    assert f"pid {os.getpid()}" in done.stderr
    assert "already uses this data dir" in done.stderr
    assert not app_paths.log_dir.exists()  # refused before starting anything


def test_portfolio_sync_from_another_terminal_uses_the_sandbox_key_never_the_real_one(
    app_paths: AppPaths, engine: Engine, db_url: str
) -> None:
    key, secret = load_or_create_credentials(credentials_file(app_paths))
    settings = SimSettings(seed=3, history_days=2, tier="none")
    with SandboxExchange(settings, ManualClock(PINNED), api_key=key, api_secret=secret) as sim:
        record_active_venue(app_paths, venue_of(sim))
        real_key = {"KRAKKED_API_KEY": "real-key-never-sent", "KRAKKED_API_SECRET": "c2VjcmV0"}
        with pytest.MonkeyPatch.context() as env:
            for name, value in real_key.items():
                env.setenv(name, value)
            sync = krakked("portfolio", "sync", "--json", db_url=db_url)

    assert sync.returncode == 0, sync.stderr
    assert "real-key-never-sent" not in sync.stdout + sync.stderr
