"""Load the AppConfig: typed, frozen, validated at start-up.

Load order (later wins): defaults < ``config.yaml`` < ``config.<KRAKKED_ENV>.yaml`` <
environment variables ``KRAKKED_<SECTION>__<KEY>[__<SUBKEY>…]``. A missing file means defaults.
Unknown keys and invalid values fail at load with the dotted key path, the value and the reason,
each strategy's parameters included (checked by its own type through the strategy registry).
While `krakked up --sim` runs on the data dir, default exchange URLs point at its sandbox.
"""

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import UnionType
from typing import Any, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from krakked_core.config import AppConfig, describe_validation
from krakked_core.errors import ConfigError
from krakked_core.paths import AppPaths
from krakked_core.strategy.registry import check_strategy_configs
from krakked_core.venue import ActiveVenue, active_venue

ENV_PREFIX = "KRAKKED_"
ENV_NESTING = "__"


@dataclass(frozen=True)
class EffectiveConfig:
    """The loaded config, and where its exchange URLs came from (``krakked config show``)."""

    config: AppConfig
    exchange_source: str
    demo: bool = False  # aimed at a running `krakked up --sim`: use the sandbox's own key


DEFAULTS_SOURCE = "the defaults"
ENV_SOURCE = "the environment (KRAKKED_EXCHANGE__REST_URL / KRAKKED_EXCHANGE__WS_URL)"


def load_config(
    paths: AppPaths | None = None,
    environ: Mapping[str, str] | None = None,
) -> AppConfig:
    """Load defaults < config.yaml < config.<env>.yaml < KRAKKED_* variables; or ConfigError."""
    return load_effective_config(paths, environ).config


def load_effective_config(
    paths: AppPaths | None = None,
    environ: Mapping[str, str] | None = None,
) -> EffectiveConfig:
    """Load the config as ``load_config`` does, pointed at a running sandbox demo if any.

    While `krakked up --sim` runs on this data dir (``krakked_core/venue.py``), exchange URLs
    left at their defaults become the sandbox's; URLs set explicitly elsewhere are never
    redirected: they must be the sandbox's, or loading fails saying a demo is running.
    """
    env = os.environ if environ is None else environ
    paths = paths or AppPaths.from_env(env)
    merged: dict[str, Any] = {}
    exchange_source = DEFAULTS_SOURCE
    sources = [paths.config_file]
    if env.get("KRAKKED_ENV"):
        sources.append(paths.env_config_file(env["KRAKKED_ENV"]))
    layers = [(str(source), read_yaml_file(source)) for source in sources]
    layers.append((ENV_SOURCE, env_overrides(env)))
    for origin, layer in layers:
        if _sets_exchange_url(layer):
            exchange_source = origin
        _deep_merge(merged, layer)
    loaded = EffectiveConfig(parse_config(merged, origin="configuration"), exchange_source)
    venue = active_venue(paths)
    return loaded if venue is None else _aimed_at_demo(loaded, venue, paths)


def _sets_exchange_url(layer: Mapping[str, Any]) -> bool:
    exchange = layer.get("exchange")
    return isinstance(exchange, Mapping) and bool({"rest_url", "ws_url"} & set(exchange))


def _aimed_at_demo(loaded: EffectiveConfig, venue: ActiveVenue, paths: AppPaths) -> EffectiveConfig:
    demo = venue.describe(paths.active_venue_file)
    exchange = loaded.config.exchange
    if loaded.exchange_source == DEFAULTS_SOURCE:
        urls = {"rest_url": venue.rest_url, "ws_url": venue.ws_url}
        config = loaded.config.model_copy(update={"exchange": exchange.model_copy(update=urls)})
        return EffectiveConfig(config, demo, demo=True)
    if (exchange.rest_url, exchange.ws_url) == (venue.rest_url, venue.ws_url):
        return EffectiveConfig(loaded.config, loaded.exchange_source, demo=True)
    # Mixing real-exchange data into the demo's DB and store (or the reverse) must not happen.
    raise ConfigError(
        f"exchange.rest_url is {exchange.rest_url} and exchange.ws_url is {exchange.ws_url} "
        f"(from {loaded.exchange_source}), but {demo} uses this data dir ({paths.data_dir}) "
        f"with the sandbox at {venue.rest_url}: stop the demo, or give this command another "
        "KRAKKED_DATA_DIR"
    )


def load_config_file(path: Path) -> AppConfig:
    """Validate one file on its own (``krakked config validate``)."""
    if not path.exists():
        raise ConfigError(f"{path}: no such file")
    return parse_config(read_yaml_file(path), origin=str(path))


def parse_config(data: Mapping[str, Any], origin: str) -> AppConfig:
    try:
        config = AppConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(describe_validation(exc, origin)) from None
    check_strategy_configs(config.strategies)
    return config


def read_yaml_file(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {_yaml_problem(exc)}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of sections")
    return data


def env_overrides(environ: Mapping[str, str]) -> dict[str, Any]:
    """Turn ``KRAKKED_A__B__C=value`` into ``{"a": {"b": {"c": value}}}``.

    Only names with ``__`` are config keys; ``KRAKKED_ENV``, ``KRAKKED_API_KEY`` and friends are
    not. A value is the raw string (pydantic converts ``60`` or ``true`` for typed fields), so a
    token such as ``abc #def`` arrives whole; ``[a, b]`` and ``{k: v}`` are read as YAML lists
    and mappings, and ``null`` as None. Segments naming fields are case-insensitive; keys of a
    mapping field (e.g. ``portfolio.valuation_pairs.BTC``) keep their case.
    """
    result: dict[str, Any] = {}
    for name, raw in sorted(environ.items()):
        if not name.startswith(ENV_PREFIX) or ENV_NESTING not in name:
            continue
        parts = name[len(ENV_PREFIX) :].split(ENV_NESTING)
        if any(not part for part in parts):
            raise ConfigError(f"{name}: malformed variable name (empty key between '__')")
        keys = _env_keys(parts)
        value = _env_value(name, raw)
        node = result
        for key in keys[:-1]:
            node = node.setdefault(key, {})
        node[keys[-1]] = value
    return result


def _deep_merge(into: dict[str, Any], other: Mapping[str, Any]) -> None:
    for key, value in other.items():
        if isinstance(value, Mapping) and isinstance(into.get(key), dict):
            _deep_merge(into[key], value)
        else:
            into[key] = value


def _env_keys(parts: list[str]) -> list[str]:
    """Lower-case the segments that name model fields; keep mapping keys as written."""
    keys: list[str] = []
    node: Any = AppConfig
    for part in parts:
        if isinstance(node, type) and issubclass(node, BaseModel):
            key = part.lower()
            field = node.model_fields.get(key)
            node = _unwrap_optional(field.annotation) if field else None
        else:  # a mapping's key (data, not a field name): descend into its value type
            key = part
            args = get_args(node)
            is_mapping = get_origin(node) is dict and len(args) == 2
            node = _unwrap_optional(args[1]) if is_mapping else None
        keys.append(key)
    return keys


def _unwrap_optional(annotation: Any) -> Any:
    """Return the type nested keys descend into: ``X`` of ``X | None``, the model of a union."""
    if get_origin(annotation) not in (Union, UnionType):
        return annotation
    args = [arg for arg in get_args(annotation) if arg is not type(None)]
    models = [arg for arg in args if isinstance(arg, type) and issubclass(arg, BaseModel)]
    if len(args) == 1:
        return args[0]
    # e.g. universe_filter: "default" | UniverseFilterConfig, whose keys are the model's fields
    return models[0] if len(models) == 1 else annotation


def _env_value(name: str, raw: str) -> Any:
    stripped = raw.strip()
    if stripped == "null":
        return None
    if not stripped.startswith(("[", "{")):
        return raw
    try:
        return yaml.safe_load(stripped)
    except yaml.YAMLError as exc:
        problem = _yaml_problem(exc)
        raise ConfigError(f"{name}: not a valid YAML list or mapping: {problem}") from None


def _yaml_problem(exc: yaml.YAMLError) -> str:
    # Never str(exc): PyYAML quotes the offending source line, which may hold a secret.
    problem = getattr(exc, "problem", None) or "syntax error"
    mark = getattr(exc, "problem_mark", None)
    return f"{problem} at line {mark.line + 1}, column {mark.column + 1}" if mark else problem
