"""AppConfig: typed, frozen, validated at start-up.

Load order (later wins): defaults < ``config.yaml`` < ``config.<KRAKKED_ENV>.yaml`` <
environment variables ``KRAKKED_<SECTION>__<KEY>[__<SUBKEY>…]``. A missing file means defaults.
Unknown keys and invalid values fail at load with the dotted key path, the value and the reason.
While `krakked up --sim` runs on the data dir, default exchange URLs point at its sandbox.
"""

import os
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from types import UnionType
from typing import Any, Literal, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

from krakked_core.errors import ConfigError
from krakked_core.model.market import TIMEFRAMES, Timeframe
from krakked_core.paths import AppPaths
from krakked_core.venue import ActiveVenue, active_venue

ENV_PREFIX = "KRAKKED_"
ENV_NESTING = "__"


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --- region ---------------------------------------------------------------------------------


class CapabilitiesConfig(_Section):
    supports_margin: bool = False
    supports_futures: bool = False
    supports_staking: bool = False


class RegionConfig(_Section):
    code: str = "US_CA"
    capabilities: CapabilitiesConfig = CapabilitiesConfig()
    default_quote: str = "USD"


class RegionProfile(_Section):
    """What the account may do in its region; read-only for the rest of the system."""

    code: str
    supports_margin: bool
    supports_futures: bool
    supports_staking: bool
    default_quote: str


# --- exchange and market data ---------------------------------------------------------------


class ExchangeConfig(_Section):
    rest_url: str = "https://api.kraken.com"
    ws_url: str = "wss://ws.kraken.com/v2"
    timeout_seconds: float = Field(10.0, gt=0)
    public_rate_per_second: float = Field(1.0, gt=0)
    tier: Literal["starter", "intermediate", "pro"] = "intermediate"


class UniverseConfig(_Section):
    include_pairs: tuple[str, ...] = ()
    exclude_pairs: tuple[str, ...] = ()
    min_24h_volume_usd: float = Field(100_000.0, ge=0)


class WsConfig(_Section):
    stale_tolerance_seconds: float = Field(60.0, gt=0)
    heartbeat_timeout_seconds: float = Field(15.0, gt=0)
    reconnect_initial_seconds: float = Field(1.0, gt=0)
    reconnect_max_seconds: float = Field(60.0, gt=0)
    subscribe_batch_size: int = Field(20, ge=1)
    # A channel acknowledged but without data this long is resubscribed and polled over REST.
    silent_channel_seconds: float = Field(60.0, gt=0)
    rest_fallback_poll_seconds: float = Field(5.0, gt=0)
    rest_probe_seconds: float = Field(60.0, gt=0)  # how often the sidecar checks REST is up
    publish_interval_seconds: float = Field(1.0, gt=0)  # sidecar → app DB batches
    bar_close_grace_seconds: float = Field(2.0, ge=0)  # wait for late trades past a bar's end
    live_bars_retention_days: int = Field(7, ge=1)  # closed live bars older than this are pruned
    universe_reload_seconds: float = Field(300.0, gt=0)  # sidecar re-reads the stored universe


class OhlcStoreConfig(_Section):
    backend: Literal["parquet"] = "parquet"
    root_dir: Path | None = None  # None: <data dir>/ohlc


class MarketDataConfig(_Section):
    ws: WsConfig = WsConfig()
    ohlc_store: OhlcStoreConfig = OhlcStoreConfig()
    timeframes: tuple[Timeframe, ...] = TIMEFRAMES
    # Days of OHLC history kept filled: the daily partitions start this many days before today
    # (and `up --sim` gives the sandbox as much history).
    history_days: int = Field(30, ge=1, le=3650)


# --- portfolio, risk, strategies ------------------------------------------------------------


class PortfolioConfig(_Section):
    base_currency: str = "USD"
    valuation_pairs: dict[str, str] = {}
    include_assets: tuple[str, ...] = ()
    exclude_assets: tuple[str, ...] = ()
    # Only weighted average cost is implemented; "fifo" is reserved by the contract.
    cost_basis_method: Literal["wac"] = "wac"
    track_manual_trades: bool = True
    snapshot_retention_days: int = Field(30, ge=1)
    reconciliation_tolerance: Decimal = Field(Decimal("1.0"), ge=0)
    # userref (Kraken's int32 order tag) -> strategy id, for trades tagged without cl_ord_id.
    strategy_tags: dict[int, str] = {}
    # Balances older than this (a sync failing or not scheduled) make get_equity() say "stale".
    stale_after_seconds: int = Field(900, gt=0)
    # Kraken credits fee credits (KFEE) at a fixed USD value per unit; they have no market.
    kfee_usd_value: Decimal = Field(Decimal("0.01"), gt=0)


class RiskConfig(_Section):
    max_risk_per_trade_pct: float = Field(1.0, gt=0, le=100)
    max_portfolio_risk_pct: float = Field(10.0, gt=0, le=100)
    max_open_positions: int = Field(10, ge=0)
    max_per_asset_pct: float = Field(5.0, gt=0, le=100)
    max_per_strategy_pct: dict[str, float] = {}
    max_daily_drawdown_pct: float = Field(10.0, gt=0, le=100)
    kill_switch_on_drift: bool = True
    include_manual_positions: bool = True
    volatility_lookback_bars: int = Field(20, ge=2)
    min_liquidity_24h_usd: float | None = Field(None, ge=0)  # None: universe.min_24h_volume_usd
    # A target that moves a position by less than this many USD is left alone (action "none").
    deadband_usd: Decimal = Field(Decimal(10), ge=0)


class UniverseFilterConfig(_Section):
    """A strategy's own universe, always within the market-data universe.

    ``pairs`` empty means every universe pair; ``top_n_by_volume`` keeps the N with the highest
    24h USD volume; ``exclude_stablecoins`` drops pairs whose base is a stablecoin.
    """

    pairs: tuple[str, ...] = ()
    top_n_by_volume: int | None = Field(None, ge=1)
    exclude_stablecoins: bool = False


class StrategyConfig(_Section):
    type: str
    enabled: bool = True
    timeframes: tuple[Timeframe, ...] = ("1h",)
    universe_filter: Literal["default"] | UniverseFilterConfig = "default"
    max_positions: int = Field(6, ge=0)
    # Per-unit risk for ATR sizing = ATR × this (a stop that far below the entry).
    stop_atr_multiple: Decimal = Field(Decimal("2.0"), gt=0)
    userref: int | None = Field(None, ge=-(2**31), lt=2**31)
    priority: int = 0
    # Strategy-specific parameters (e.g. ma_fast); each strategy validates its own.
    params: dict[str, Any] = {}

    @model_validator(mode="before")
    @classmethod
    def _collect_params(cls, data: Any) -> Any:
        """Accept the contract's flat form: keys that are not fields become ``params``."""
        if not isinstance(data, Mapping):
            return data
        extra = {key: value for key, value in data.items() if key not in cls.model_fields}
        if not extra:
            return data
        known = {key: value for key, value in data.items() if key in cls.model_fields}
        return {**known, "params": {**dict(known.get("params") or {}), **extra}}


class StrategiesConfig(_Section):
    enabled: tuple[str, ...] = ()
    configs: dict[str, StrategyConfig] = {}

    @model_validator(mode="after")
    def _enabled_are_configured(self) -> "StrategiesConfig":
        missing = [name for name in self.enabled if name not in self.configs]
        if missing:
            raise ValueError(f"enabled strategies without a configs entry: {', '.join(missing)}")
        return self

    @model_validator(mode="after")
    def _userrefs_are_unique(self) -> "StrategiesConfig":
        owners: dict[int, str] = {}
        for name in sorted(self.configs):
            userref = self.configs[name].userref
            if userref is None:
                continue
            if userref in owners:
                raise ValueError(
                    f"configs.{owners[userref]}.userref and configs.{name}.userref are both "
                    f"{userref}: each strategy needs its own userref for attribution"
                )
            owners[userref] = name
        return self


# --- execution, ui, scheduler, db -----------------------------------------------------------


class ExecutionConfig(_Section):
    mode: Literal["paper", "live", "dry_run"] = "paper"
    live_mode_enabled: bool = False
    default_order_type: Literal["market", "limit"] = "limit"
    max_slippage_bps: int = Field(50, ge=0)
    time_in_force: Literal["GTC", "IOC"] = "GTC"
    post_only: bool = False
    validate_only: bool | None = None  # None: true unless mode is live
    dead_man_switch_seconds: int = Field(600, ge=0)
    max_retries: int = Field(3, ge=0)
    retry_backoff_seconds: float = Field(2.0, ge=0)
    retry_backoff_factor: float = Field(2.0, ge=1)
    max_concurrent_orders: int = Field(10, ge=1)
    min_order_notional_usd: Decimal = Field(Decimal("20.0"), ge=0)

    @model_validator(mode="after")
    def _live_needs_opt_in(self) -> "ExecutionConfig":
        if self.mode == "live" and not self.live_mode_enabled:
            raise ValueError("mode 'live' needs live_mode_enabled: true")
        return self

    @property
    def effective_validate_only(self) -> bool:
        return self.mode != "live" if self.validate_only is None else self.validate_only


class UiAuthConfig(_Section):
    enabled: bool = False
    token: SecretStr = SecretStr("")

    @model_validator(mode="after")
    def _token_when_enabled(self) -> "UiAuthConfig":
        if self.enabled and not self.token.get_secret_value():
            raise ValueError("auth.enabled needs a non-empty token")
        return self


class RefreshIntervalsConfig(_Section):
    dashboard_ms: int = Field(5000, ge=500)
    orders_ms: int = Field(5000, ge=500)
    strategies_ms: int = Field(10000, ge=500)


class UiConfig(_Section):
    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=1, le=65535)
    base_path: str = "/"
    auth: UiAuthConfig = UiAuthConfig()
    read_only: bool = False
    refresh_intervals: RefreshIntervalsConfig = RefreshIntervalsConfig()


class SchedulerConfig(_Section):
    """Cron strings for the Dagster schedules (UTC)."""

    universe_refresh_cron: str = "7 * * * *"
    portfolio_sync_cron: str = "*/5 * * * *"
    ohlc_tail_delay_seconds: int = Field(20, ge=0)
    backup_cron: str = "30 3 * * *"


class DbConfig(_Section):
    # A SecretStr because a PostgreSQL URL carries a password. None: SQLite in the data dir.
    url: SecretStr | None = None
    echo: bool = False

    def resolved_url(self, paths: AppPaths) -> str:
        if self.url is not None:
            return self.url.get_secret_value()
        return f"sqlite:///{paths.default_db_file}"


class AppConfig(_Section):
    region: RegionConfig = RegionConfig()
    exchange: ExchangeConfig = ExchangeConfig()
    universe: UniverseConfig = UniverseConfig()
    market_data: MarketDataConfig = MarketDataConfig()
    portfolio: PortfolioConfig = PortfolioConfig()
    risk: RiskConfig = RiskConfig()
    strategies: StrategiesConfig = StrategiesConfig()
    execution: ExecutionConfig = ExecutionConfig()
    ui: UiConfig = UiConfig()
    scheduler: SchedulerConfig = SchedulerConfig()
    db: DbConfig = DbConfig()

    def region_profile(self) -> RegionProfile:
        caps = self.region.capabilities
        return RegionProfile(
            code=self.region.code,
            supports_margin=caps.supports_margin,
            supports_futures=caps.supports_futures,
            supports_staking=caps.supports_staking,
            default_quote=self.region.default_quote,
        )

    def ohlc_root(self, paths: AppPaths) -> Path:
        root = self.market_data.ohlc_store.root_dir
        return root.expanduser() if root is not None else paths.default_ohlc_dir

    def redacted(self) -> dict[str, Any]:
        """The effective config as plain JSON-able data, every secret shown as ``**********``."""
        return self.model_dump(mode="json")


# --- loading --------------------------------------------------------------------------------


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
    # Imported here: the strategies import this module for their config types.
    from krakked_core.strategy.registry import check_strategy_configs  # noqa: PLC0415

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


def describe_validation(exc: ValidationError, origin: str, prefix: str = "") -> str:
    """Say what is wrong, a line per problem, each naming its dotted key (under ``prefix``)."""
    lines = [f"invalid {origin}:"]
    for err in exc.errors():
        keys = [prefix] if prefix else []
        path = ".".join([*keys, *(str(part) for part in err["loc"])]) or "(top level)"
        value = err.get("input")
        if err["type"] == "extra_forbidden":
            # An unknown key may well be a misplaced secret: never echo its value.
            lines.append(f"  {path}: unknown key")
        elif isinstance(value, dict):
            lines.append(f"  {path}: {err['msg']}")
        else:
            shown = "<redacted>" if _looks_secret(path) else repr(value)
            lines.append(f"  {path}: {err['msg']} (got {shown})")
    return "\n".join(lines)


_SECRET_WORDS = ("token", "secret", "password", "pass", "key", "url", "credential", "auth")


def _looks_secret(path: str) -> bool:
    return any(word in path.lower() for word in _SECRET_WORDS)
