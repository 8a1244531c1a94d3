"""Every file location Krakked uses is derived here, from the OS conventions or overrides."""

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "krakked"


@dataclass(frozen=True)
class AppPaths:
    """The config dir (config, secrets, nonce) and the data dir (DB, OHLC, Dagster, sandbox)."""

    config_dir: Path
    data_dir: Path

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "AppPaths":
        """Resolve directories: ``KRAKKED_CONFIG_DIR``/``KRAKKED_DATA_DIR`` or platformdirs."""
        env = os.environ if environ is None else environ
        config_dir = env.get("KRAKKED_CONFIG_DIR") or platformdirs.user_config_dir(APP_NAME)
        data_dir = env.get("KRAKKED_DATA_DIR") or platformdirs.user_data_dir(APP_NAME)
        return cls(Path(config_dir).expanduser(), Path(data_dir).expanduser())

    def ensure(self) -> "AppPaths":
        """Create both directories, readable by the owner only."""
        for directory in (self.config_dir, self.data_dir):
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            directory.chmod(0o700)
        return self

    @property
    def config_file(self) -> Path:
        return self.config_dir / "config.yaml"

    def env_config_file(self, env: str) -> Path:
        return self.config_dir / f"config.{env}.yaml"

    @property
    def secrets_file(self) -> Path:
        return self.config_dir / "secrets.enc"

    @property
    def nonce_file(self) -> Path:
        """Shared by every process signing with the key (see connection/nonce.py)."""
        return self.config_dir / "nonce.state"

    @property
    def rate_limit_file(self) -> Path:
        """Kraken's private call counter, shared by every process using the key."""
        return self.config_dir / "ratelimit.state"

    @property
    def default_db_file(self) -> Path:
        return self.data_dir / "krakked.db"

    @property
    def default_ohlc_dir(self) -> Path:
        return self.data_dir / "ohlc"

    @property
    def dagster_home(self) -> Path:
        return self.data_dir / "dagster"

    @property
    def active_venue_file(self) -> Path:
        """Where a running `krakked up --sim` records its sandbox (krakked_core/venue.py)."""
        return self.data_dir / "active_venue.json"

    @property
    def log_dir(self) -> Path:
        """`krakked up` writes every child's full log here."""
        return self.data_dir / "logs"

    @property
    def backup_dir(self) -> Path:
        """`krakked db backup` writes here (``ops.backup_dir`` overrides it)."""
        return self.data_dir / "backups"

    @property
    def running_lock_file(self) -> Path:
        """Held by `krakked up` while it runs (krakked_core/running.py)."""
        return self.data_dir / "krakked.running.lock"

    @property
    def sim_dir(self) -> Path:
        """The sandbox exchange's state and generated credentials."""
        return self.data_dir / "sim"
