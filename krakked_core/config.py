"""AppConfig: typed, frozen sections with their defaults and limits; no I/O here.

Loading it (files, environment, the running demo's sandbox, the strategies' own parameters) is
``config_loading.py``. ``describe_validation`` turns a pydantic error into the dotted key path,
the value (never a secret's) and the reason, for every loader of typed input.
"""

from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

from krakked_core.model.market import TIMEFRAMES, Timeframe
from krakked_core.paths import AppPaths


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
    # The paper venue: what the paper account starts with, and how its fills are priced.
    paper_starting_balances: dict[str, Decimal] = Field(
        default_factory=lambda: {"USD": Decimal(10000)}
    )
    paper_taker_fee_pct: Decimal = Field(Decimal("0.26"), ge=0)
    paper_slippage_bps: Decimal = Field(Decimal(0), ge=0)

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


class WebhookConfig(_Section):
    """One alert receiver; ``format`` picks the body shape it accepts."""

    # A SecretStr: Slack/Discord webhook URLs are credentials.
    url: SecretStr
    format: Literal["json", "slack", "discord", "ntfy"] = "json"
    min_level: Literal["info", "warning", "critical"] = "warning"


class AlertsConfig(_Section):
    webhooks: tuple[WebhookConfig, ...] = ()
    # The same alert (kind + subject) is sent at most once per this many seconds.
    dedup_seconds: float = Field(900.0, ge=0)
    # At most this many alerts per receiver per minute; the rest are counted and summarised.
    max_per_minute: int = Field(10, ge=1)
    timeout_seconds: float = Field(5.0, gt=0)


class OpsConfig(_Section):
    """Backups, log files, supervision and alerts (Phase 7)."""

    backup_dir: Path | None = None  # None: <data dir>/backups
    backup_keep: int = Field(7, ge=1)
    log_file_max_mb: int = Field(100, ge=1)
    log_file_count: int = Field(7, ge=1)
    cancel_orders_on_shutdown: bool = False
    # The sidecar serves /metrics on this loopback port (None: not served; `up` picks one).
    sidecar_metrics_port: int | None = Field(None, ge=0, le=65535)
    # `krakked up` restarts a child that dies, waiting initial × 2^n (at most max) seconds; more
    # than max_restarts restarts within restart_window_seconds stop `up` with the reason.
    restart_backoff_initial_seconds: float = Field(1.0, gt=0)
    restart_backoff_max_seconds: float = Field(60.0, gt=0)
    max_restarts: int = Field(5, ge=0)
    restart_window_seconds: float = Field(600.0, gt=0)
    alerts: AlertsConfig = AlertsConfig()

    def backups(self, paths: AppPaths) -> Path:
        return self.backup_dir.expanduser() if self.backup_dir is not None else paths.backup_dir


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
    ops: OpsConfig = OpsConfig()

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
