"""When a failed Kraken call may be sent again, and how long to wait first.

Only temporary failures (rate limit, service unavailable, network) are retried, and only for
calls that change nothing: a lost ``AddOrder`` or ``CancelOrder`` reply may mean it executed,
so those are never repeated blindly. Auth, nonce and rejection errors are never retried.
"""

from dataclasses import dataclass

from krakked_core.errors import RateLimitError, TemporaryVenueError

# Private methods that only read. Anything not listed here is sent once.
READ_ONLY_PRIVATE_METHODS = frozenset(
    {
        "Balance",
        "BalanceEx",
        "TradeBalance",
        "OpenOrders",
        "ClosedOrders",
        "QueryOrders",
        "TradesHistory",
        "QueryTrades",
        "Ledgers",
        "QueryLedgers",
        "TradeVolume",
        "GetWebSocketsToken",
    }
)


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff, ``base * 2**attempt`` capped; rate limits start from a longer base."""

    attempts: int = 4
    base_delay_seconds: float = 1.0
    max_delay_seconds: float = 30.0
    rate_limit_delay_seconds: float = 5.0

    def delay(self, error: TemporaryVenueError, attempt: int) -> float:
        """Seconds to wait before attempt number ``attempt + 1`` (``attempt`` counts from 0)."""
        if error.retry_after_seconds is not None:
            return min(self.max_delay_seconds, max(0.0, error.retry_after_seconds))
        base = (
            self.rate_limit_delay_seconds
            if isinstance(error, RateLimitError)
            else self.base_delay_seconds
        )
        return float(min(self.max_delay_seconds, base * 2**attempt))


NO_RETRY = RetryPolicy(attempts=1)


def may_retry_private(method: str) -> bool:
    """True when repeating ``method`` cannot do anything twice."""
    return method in READ_ONLY_PRIVATE_METHODS
