"""The only code that knows Kraken's wire format: signing, nonce, rate limits, REST client."""

from krakked_core.connection.client import KrakenRestClient, decode_reply
from krakked_core.connection.compose import build_market_gateway, build_rest_client
from krakked_core.connection.errors import ERROR_TABLE, classify, error_from_http, error_from_kraken
from krakked_core.connection.nonce import FileNonceSource, NonceSource
from krakked_core.connection.ratelimit import (
    TIER_LIMITS,
    PrivateRateLimiter,
    PublicThrottle,
    TierLimits,
    private_call_cost,
)
from krakked_core.connection.retry import NO_RETRY, READ_ONLY_PRIVATE_METHODS, RetryPolicy
from krakked_core.connection.signing import api_sign, encode_body

__all__ = [
    "ERROR_TABLE",
    "NO_RETRY",
    "READ_ONLY_PRIVATE_METHODS",
    "TIER_LIMITS",
    "FileNonceSource",
    "KrakenRestClient",
    "NonceSource",
    "PrivateRateLimiter",
    "PublicThrottle",
    "RetryPolicy",
    "TierLimits",
    "api_sign",
    "build_market_gateway",
    "build_rest_client",
    "classify",
    "decode_reply",
    "encode_body",
    "error_from_http",
    "error_from_kraken",
    "private_call_cost",
]
