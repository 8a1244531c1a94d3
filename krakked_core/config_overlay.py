"""The runtime config overlay: operator changes to risk, strategies and execution mode, kept in
the app DB (``config_overlay``) on top of the YAML config.

The control plane writes it (``krakked_core.control``); every decision cycle applies it when it
builds its engine (``strategy.cycle.build_engine``), so a change made through the API is in
force from the next cycle on, in every process. The overlay holds only the keys the operator
changed; the merged sections are validated by the same pydantic models as the files, so an
overlay can never make a config the files could not.
"""

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy import Engine

from krakked_core.clock import Clock
from krakked_core.config import (
    AppConfig,
    ExecutionConfig,
    RiskConfig,
    StrategiesConfig,
    describe_validation,
)
from krakked_core.db.control_plane_tables import config_overlay
from krakked_core.errors import ConfigError

logger = logging.getLogger(__name__)

RISK = "risk"
EXECUTION = "execution"
_STRATEGY_PREFIX = "strategy:"
_M = TypeVar("_M", RiskConfig, ExecutionConfig, StrategiesConfig)
ORIGIN = "the runtime config overlay (table config_overlay)"


def strategy_section(strategy_id: str) -> str:
    return f"{_STRATEGY_PREFIX}{strategy_id}"


class InvalidOverlayError(ConfigError):
    """The overlay (or a change to it) makes an invalid config; ``fields`` are dotted keys."""

    def __init__(self, message: str, fields: tuple[str, ...]) -> None:
        super().__init__(message)
        self.fields = fields


@dataclass(frozen=True)
class ConfigOverlay:
    """The operator's overrides: partial sections as JSON values, by section."""

    risk: Mapping[str, Any] = field(default_factory=dict)
    strategies: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    execution: Mapping[str, Any] = field(default_factory=dict)

    def section(self, name: str) -> Mapping[str, Any]:
        if name == RISK:
            return self.risk
        if name == EXECUTION:
            return self.execution
        return self.strategies.get(name.removeprefix(_STRATEGY_PREFIX), {})

    def with_section(self, name: str, value: Mapping[str, Any]) -> "ConfigOverlay":
        """A copy with ``name`` replaced by ``value`` (an empty value drops the section)."""
        if name == RISK:
            return ConfigOverlay(dict(value), self.strategies, self.execution)
        if name == EXECUTION:
            return ConfigOverlay(self.risk, self.strategies, dict(value))
        sid = name.removeprefix(_STRATEGY_PREFIX)
        strategies = {k: v for k, v in self.strategies.items() if k != sid}
        if value:
            strategies[sid] = dict(value)
        return ConfigOverlay(self.risk, strategies, self.execution)


class OverlayStore:
    """Read and write the overlay; each write replaces one section in one transaction."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock

    def load(self) -> ConfigOverlay:
        with self._engine.connect() as conn:
            rows = conn.execute(sa.select(config_overlay.c.section, config_overlay.c.value)).all()
        overlay = ConfigOverlay()
        for section, value in sorted(rows):
            overlay = overlay.with_section(section, json.loads(value))
        return overlay

    def save(self, section: str, value: Mapping[str, Any], *, source: str) -> None:
        """Replace ``section`` with ``value`` (empty: remove the section's overrides)."""
        table = config_overlay
        with self._engine.begin() as conn:
            conn.execute(table.delete().where(table.c.section == section))
            if value:
                conn.execute(
                    table.insert().values(
                        section=section,
                        value=json.dumps(value, sort_keys=True, default=str),
                        source=source,
                        updated_at=self._clock.now(),
                    )
                )


def apply_overlay(config: AppConfig, overlay: ConfigOverlay) -> AppConfig:
    """``config`` with the overlay merged in and validated (InvalidOverlayError if not valid).

    Overrides of a strategy the files no longer configure are ignored, with a warning.
    """
    if not (overlay.risk or overlay.strategies or overlay.execution):
        return config
    risk = _validated(RiskConfig, config.risk.model_dump(), overlay.risk, RISK)
    execution = _validated(
        ExecutionConfig, config.execution.model_dump(), overlay.execution, EXECUTION
    )
    strategies = _validated(
        StrategiesConfig, _strategies_data(config.strategies, overlay), {}, "strategies"
    )
    return config.model_copy(
        update={"risk": risk, "execution": execution, "strategies": strategies}
    )


def merged(base: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``changes`` merged in; mappings merge key by key, the rest is replaced."""
    out = dict(base)
    for key, value in changes.items():
        current = out.get(key)
        if isinstance(value, Mapping) and isinstance(current, Mapping):
            out[key] = merged(current, value)
        else:
            out[key] = value
    return out


def _strategies_data(strategies: StrategiesConfig, overlay: ConfigOverlay) -> dict[str, Any]:
    data = strategies.model_dump()
    enabled = list(data["enabled"])
    for sid, changes in sorted(overlay.strategies.items()):
        if sid not in data["configs"]:
            logger.warning("config overlay of strategy %r ignored: it is no longer configured", sid)
            continue
        data["configs"][sid] = merged(data["configs"][sid], changes)
        if "enabled" in changes:
            # One switch for the operator: listed in ``enabled`` and not ``enabled: false``.
            enabled = [s for s in enabled if s != sid] + ([sid] if changes["enabled"] else [])
    data["enabled"] = tuple(sorted(enabled))
    return data


def _validated(
    model: type[_M], base: Mapping[str, Any], changes: Mapping[str, Any], prefix: str
) -> _M:
    try:
        return model.model_validate(merged(base, changes))
    except ValidationError as exc:
        fields = tuple(_dotted(prefix, error["loc"]) for error in exc.errors())
        raise InvalidOverlayError(describe_validation(exc, ORIGIN, prefix), fields) from None


def _dotted(prefix: str, location: tuple[int | str, ...]) -> str:
    return ".".join([prefix, *(str(part) for part in location)])
