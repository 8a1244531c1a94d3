"""Build a ``KrakenRestClient`` wired to the file-backed nonce and rate limiter of ``paths``."""

import time

from krakked_core.clock import Clock, SystemClock
from krakked_core.config import AppConfig
from krakked_core.connection.client import KrakenRestClient
from krakked_core.connection.nonce import FileNonceSource
from krakked_core.connection.ratelimit import PrivateRateLimiter, PublicThrottle, Sleeper
from krakked_core.connection.retry import RetryPolicy
from krakked_core.paths import AppPaths
from krakked_core.secrets import Credentials


def build_rest_client(
    config: AppConfig,
    paths: AppPaths,
    credentials: Credentials | None,
    *,
    clock: Clock | None = None,
    sleeper: Sleeper = time.sleep,
    retry: RetryPolicy | None = None,
) -> KrakenRestClient:
    """The client every process uses: one nonce file and one rate counter per config dir."""
    clock = clock or SystemClock()
    exchange = config.exchange
    return KrakenRestClient(
        base_url=exchange.rest_url,
        credentials=credentials,
        nonce_source=FileNonceSource(paths.nonce_file, clock),
        public_throttle=PublicThrottle(exchange.public_rate_per_second, clock, sleeper),
        private_limiter=PrivateRateLimiter(paths.rate_limit_file, exchange.tier, clock, sleeper),
        timeout_seconds=exchange.timeout_seconds,
        retry=retry,
        sleeper=sleeper,
    )
