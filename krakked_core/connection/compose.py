"""Build a ``KrakenRestClient`` wired to the file-backed nonce and rate limiters of ``paths``,
and the port adapters over it (market gateway, account source)."""

import time
from pathlib import Path

from krakked_core.clock import Clock, SystemClock
from krakked_core.config import AppConfig
from krakked_core.connection.account_source import KrakenAccountSource
from krakked_core.connection.client import KrakenRestClient
from krakked_core.connection.market_gateway import KrakenMarketGateway
from krakked_core.connection.nonce import FileNonceSource
from krakked_core.connection.ratelimit import PrivateRateLimiter, PublicThrottle, Sleeper
from krakked_core.connection.retry import RetryPolicy
from krakked_core.metrics import Metrics
from krakked_core.paths import AppPaths
from krakked_core.secrets import Credentials


def public_rate_limit_file(paths: AppPaths) -> Path:
    """The public-call spacing shared by every process on this machine (Kraken limits per IP)."""
    return paths.config_dir / "public_ratelimit.state"


def build_rest_client(
    config: AppConfig,
    paths: AppPaths,
    credentials: Credentials | None,
    *,
    clock: Clock | None = None,
    sleeper: Sleeper | None = None,
    retry: RetryPolicy | None = None,
    metrics: Metrics | None = None,
) -> KrakenRestClient:
    """The client every process uses: one nonce file, one private rate counter and one public
    call spacing per config dir.

    Kraken's limits and nonces run on real time. ``clock`` drives them only together with a
    ``sleeper`` that moves it (tests); a business clock passed alone (a ManualClock of a replay)
    is not used for them, or waiting on a clock that never moves would never end.
    """
    timing: Clock = clock if (clock is not None and sleeper is not None) else SystemClock()
    sleep: Sleeper = sleeper or time.sleep
    exchange = config.exchange
    return KrakenRestClient(
        base_url=exchange.rest_url,
        credentials=credentials,
        nonce_source=FileNonceSource(paths.nonce_file, timing),
        public_throttle=PublicThrottle(
            exchange.public_rate_per_second,
            timing,
            sleep,
            state_file=public_rate_limit_file(paths),
        ),
        private_limiter=PrivateRateLimiter(paths.rate_limit_file, exchange.tier, timing, sleep),
        timeout_seconds=exchange.timeout_seconds,
        retry=retry,
        sleeper=sleep,
        metrics=metrics,
    )


def build_market_gateway(
    config: AppConfig,
    paths: AppPaths,
    *,
    clock: Clock | None = None,
    retry: RetryPolicy | None = None,
    metrics: Metrics | None = None,
) -> KrakenMarketGateway:
    """The public market data of ``exchange.rest_url`` (Kraken or the sandbox), its tickers
    stamped by ``clock``."""
    client = build_rest_client(config, paths, None, clock=clock, retry=retry, metrics=metrics)
    return KrakenMarketGateway(client, clock or SystemClock())


def build_account_source(
    config: AppConfig, paths: AppPaths, credentials: Credentials, *, clock: Clock | None = None
) -> KrakenAccountSource:
    """The account of ``credentials``' key on ``exchange.rest_url`` (Kraken or the sandbox)."""
    return KrakenAccountSource(build_rest_client(config, paths, credentials, clock=clock))
