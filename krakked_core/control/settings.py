"""The config in force in this process: the files plus the runtime overlay, kept in step with
the overlay table (another process — the CLI, a second API — may change it too).

A change is validated by the config models and by the engine itself (its strategies' own
parameters, their timeframes) before it is stored, so a stored overlay always made a config
the engine accepted.
"""

import logging
from collections.abc import Mapping
from typing import Any

from krakked_core.config import AppConfig
from krakked_core.config_overlay import (
    ConfigOverlay,
    InvalidOverlayError,
    OverlayStore,
    apply_overlay,
    merged,
)
from krakked_core.control.errors import InvalidChangeError
from krakked_core.errors import ConfigError
from krakked_core.strategy.engine import StrategyRiskEngine
from krakked_core.strategy.registry import check_strategy_configs

logger = logging.getLogger(__name__)


class RuntimeSettings:
    """The effective config, and the one way to change the overlay."""

    def __init__(self, base: AppConfig, store: OverlayStore, engine: StrategyRiskEngine) -> None:
        self._base = base
        self._store = store
        self._engine = engine
        self._config = base
        self._applied: ConfigOverlay | None = None
        self.problem: str | None = None  # why the stored overlay is not in force, if it is not

    @property
    def base(self) -> AppConfig:
        return self._base

    def overlay(self) -> ConfigOverlay:
        return self._store.load()

    def current(self) -> AppConfig:
        """The config in force: files + the stored overlay (the last good one if it is bad)."""
        overlay = self._store.load()
        if overlay != self._applied:
            self._applied = overlay
            try:
                self._use(apply_overlay(self._base, overlay))
                self.problem = None
            except ConfigError as exc:
                logger.error("runtime config overlay not applied: %s", exc)
                self.problem = str(exc)
        return self._config

    def change(self, section: str, changes: Mapping[str, Any], *, source: str) -> AppConfig:
        """Merge ``changes`` into the overlay's ``section``, validate, apply and store it."""
        overlay = self._store.load()
        return self._replace(section, merged(overlay.section(section), changes), source)

    def reset(self, section: str, *, source: str) -> AppConfig:
        """Drop the overlay's ``section``: the config files' values are in force again."""
        return self._replace(section, {}, source)

    def _replace(self, section: str, value: Mapping[str, Any], source: str) -> AppConfig:
        overlay = self._store.load()
        candidate = overlay.with_section(section, value)
        previous = self._config
        try:
            config = apply_overlay(self._base, candidate)
            check_strategy_configs(config.strategies)
            self._use(config)
        except InvalidOverlayError as exc:
            raise InvalidChangeError(str(exc), exc.fields) from None
        except ConfigError as exc:
            raise InvalidChangeError(str(exc), _named_fields(str(exc))) from None
        try:
            self._store.save(section, value, source=source)
        except Exception:
            self._use(previous)
            raise
        self._applied, self.problem = candidate, None
        return config

    def _use(self, config: AppConfig) -> None:
        self._engine.reload_config(config)  # ConfigError leaves the engine as it was
        self._config = config


def _named_fields(message: str) -> tuple[str, ...]:
    """The dotted keys a ConfigError's lines name (``  strategies.configs.x.ma_fast: …``)."""
    fields = []
    for line in message.splitlines():
        head, sep, _ = line.strip().partition(": ")
        if sep and " " not in head and "." in head:
            fields.append(head)
    return tuple(fields)
