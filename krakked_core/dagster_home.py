"""Write the Dagster instance config (DAGSTER_HOME/dagster.yaml) for this machine.

SQLite storage under DAGSTER_HOME by default; PostgreSQL when ``KRAKKED_DAGSTER_PG_URL`` is set.
The URL itself is never written to disk: the YAML refers to the environment variable, which
Dagster resolves when it loads the instance. Plain text here: krakked_core imports no Dagster.
Run monitoring is on, so a run whose worker died does not stay "starting"/"canceling" forever;
the global maximum runtime is left unset (a partition backfill may legitimately run long), and
the tail jobs set their own (``dagster/max_runtime`` tag, ``krakked_pipeline/schedules.py``).
At most ``MAX_CONCURRENT_RUNS`` runs at once: each is a process of a few hundred MB, and a
one-person machine has a few cores. The "join the community" modal (``nux``) is off.
(SQLAlchemy is pinned below 2.1, so ``postgresql://`` URLs use psycopg2, as dagster-postgres
needs; ``postgresql+psycopg2://`` works as well.)
"""

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from krakked_core.paths import AppPaths

PG_URL_VARIABLE = "KRAKKED_DAGSTER_PG_URL"
# Run tag of the OHLC tail jobs (value: the timeframe); the run queue runs one per value.
OHLC_TAIL_TAG = "krakked/ohlc_tail"
MAX_CONCURRENT_RUNS = 4

_COMMON = f"""\
telemetry:
  enabled: false
nux:
  enabled: false
run_coordinator:
  module: dagster.core.run_coordinator
  class: QueuedRunCoordinator
  config:
    dequeue_interval_seconds: 1
    max_concurrent_runs: {MAX_CONCURRENT_RUNS}
    tag_concurrency_limits:
      - key: "{OHLC_TAIL_TAG}"
        value:
          applyLimitPerUniqueValue: true
        limit: 1
sensors:
  use_threads: true
  num_workers: 4
run_monitoring:
  enabled: true
  start_timeout_seconds: 180
  cancel_timeout_seconds: 180
"""

_SQLITE_STORAGE = """\
storage:
  sqlite:
    base_dir: {base_dir}
"""

_POSTGRES_STORAGE = f"""\
storage:
  postgres:
    postgres_url:
      env: {PG_URL_VARIABLE}
"""


def dagster_yaml_text(home: Path, environ: Mapping[str, str]) -> str:
    """The instance YAML for ``home``: PostgreSQL when the variable is set, else SQLite."""
    header = "# Written by Krakked (krakked_core/dagster_home.py); changes are overwritten.\n"
    if environ.get(PG_URL_VARIABLE):
        return header + _COMMON + _POSTGRES_STORAGE
    return header + _COMMON + _SQLITE_STORAGE.format(base_dir=_yaml_string(str(home / "storage")))


def prepare_dagster_home(paths: AppPaths, environ: Mapping[str, str] | None = None) -> Path:
    """Create DAGSTER_HOME (``<data dir>/dagster``), write its dagster.yaml, return the dir."""
    env = os.environ if environ is None else environ
    home = paths.dagster_home
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    target = home / "dagster.yaml"
    fd, name = tempfile.mkstemp(dir=home, prefix=".dagster.yaml.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(dagster_yaml_text(home, env))
        os.replace(name, target)
    finally:
        Path(name).unlink(missing_ok=True)
    return home


def _yaml_string(text: str) -> str:
    # Double-quoted YAML scalar: paths may hold spaces or colons.
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
