"""The history step of `krakked up`: stored history at once, materialized through Dagster.

With the sandbox, an empty OHLC store is filled from the sandbox's own OHLCVT export (well under
a minute for 30 days; the REST and Trades path takes one call a second, hours for that). Then
Dagster materializes ``pair_universe`` (every start) and, after an import, the history
partitions up to yesterday (today's are the tails'), so its UI shows what the store holds and
the freshness checks have something to judge.
"""

import json
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import typer

from krakked_core.cli.common import Runtime
from krakked_core.clock import SystemClock
from krakked_core.config import AppConfig
from krakked_core.connection.intervals import KRAKEN_INTERVAL
from krakked_core.dagster_home import prepare_dagster_home
from krakked_core.launcher import Component, LaunchError, Supervisor
from krakked_core.market_data.archive import ImportReport, import_ohlcvt
from krakked_core.market_data.ohlc_store import OhlcStore
from krakked_core.market_data.tail import first_history_day

# One process for every step; Dagster's step-by-step events stay out of the terminal (they are
# in its run logs), and so do its Beta/Preview warnings.
_RUN_CONFIG = json.dumps(
    {
        "execution": {"config": {"in_process": {}}},
        "loggers": {"console": {"config": {"log_level": "WARNING"}}},
    }
)
_QUIET = {"PYTHONWARNINGS": "ignore"}


def fill_history(rt: Runtime, supervisor: Supervisor, *, sim_seed: int | None) -> None:
    """Import the sandbox's history into an empty store; materialize universe and history."""
    now = SystemClock().now()
    imported = None
    if sim_seed is not None:
        store = OhlcStore(rt.config.ohlc_root(rt.paths), SystemClock())
        imported = import_sandbox_history(rt.config, store, sim_seed, now, rt.paths.sim_dir)
    if imported is not None:
        typer.echo(f"History: {imported.bars} bars imported from the sandbox's archive", err=True)
    home = prepare_dagster_home(rt.paths)
    supervisor.run_once(materialize_component(home, "universe", ["pair_universe"]))
    if imported is None:
        return
    timeframes = rt.config.market_data.timeframes
    first = first_history_day(rt.config.market_data.history_days, now)
    yesterday = now.astimezone(UTC).date() - timedelta(days=1)
    days = f"{first.isoformat()}...{yesterday.isoformat()}"
    assets = [f"ohlc_{timeframe}" for timeframe in timeframes]  # krakked_pipeline's names
    try:
        supervisor.run_once(materialize_component(home, "history", assets, days))
    except LaunchError as exc:  # the bars are stored; only Dagster's view of them is missing
        typer.echo(f"History stored, but its partitions not materialized: {exc}", err=True)


def import_sandbox_history(
    config: AppConfig, store: OhlcStore, seed: int, now: datetime, work_dir: Path
) -> ImportReport | None:
    """Fill a store that holds no bars yet from the sandbox's OHLCVT export of ``seed``, up to
    ``now``; None when it holds some already."""
    from krakked_core.sim.archive import export_archive  # noqa: PLC0415 - numpy-heavy
    from krakked_core.sim.settings import SimSettings  # noqa: PLC0415

    timeframes = config.market_data.timeframes
    if any(store.pairs(timeframe) for timeframe in timeframes):
        return None
    # The first partition is a whole day: its start lies before ``history_days`` ago.
    settings = SimSettings(seed=seed, history_days=sandbox_history_days(config))
    work_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    with tempfile.TemporaryDirectory(dir=work_dir, prefix="archive-") as folder:
        intervals = [KRAKEN_INTERVAL[timeframe] for timeframe in timeframes]
        export_archive(settings, Path(folder), now, intervals=intervals)
        return import_ohlcvt(Path(folder), store)


def sandbox_history_days(config: AppConfig) -> int:
    """How much history the sandbox serves: the partitions' days and the first one whole."""
    return config.market_data.history_days + 1


def materialize_component(
    dagster_home: Path, name: str, assets: Sequence[str], partition_range: str | None = None
) -> Component:
    """A one-off Dagster run (in this process's interpreter) materializing ``assets``."""
    argv = [sys.executable, "-m", "dagster", "asset", "materialize"]
    argv += ["-m", "krakked_pipeline.definitions", "--select", ",".join(assets)]
    argv += ["--config-json", _RUN_CONFIG]
    if partition_range is not None:
        argv += ["--partition-range", partition_range]
    return Component(name, argv, env={"DAGSTER_HOME": str(dagster_home), **_QUIET})
