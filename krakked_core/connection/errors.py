"""Kraken's error strings and HTTP failures, translated into the error tree of krakked_core.

Kraken answers HTTP 200 with ``{"error": [...], "result": ...}``; a non-200 status comes from the
network, a proxy or Cloudflare. When a body carries an error list it wins over the status. The
original strings are kept in ``kraken_errors`` for logs and records.
"""

import re
from collections.abc import Sequence

from krakked_core.errors import (
    AuthError,
    InvalidArgumentsError,
    InvalidNonceError,
    OrderError,
    RateLimitError,
    RejectedError,
    ServiceUnavailableError,
    TemporaryVenueError,
    VenueError,
)

# Prefixes of Kraken's error strings (compared with the spaces after colons removed, so
# "EService: Throttled: 1700000000" matches "EService:Throttled"). First match wins.
ERROR_TABLE: tuple[tuple[str, type[VenueError]], ...] = (
    ("EAPI:Invalid key", AuthError),
    ("EAPI:Invalid signature", AuthError),
    ("EAPI:Invalid nonce", InvalidNonceError),
    ("EAPI:Bad request", AuthError),
    ("EGeneral:Permission denied", AuthError),
    ("EGeneral:Temporary lockout", AuthError),
    ("EAPI:Rate limit exceeded", RateLimitError),
    ("EGeneral:Too many requests", RateLimitError),
    ("EService:Throttled", RateLimitError),
    ("EService:Unavailable", ServiceUnavailableError),
    ("EService:Busy", ServiceUnavailableError),
    ("EGeneral:Internal error", ServiceUnavailableError),
    ("EService:Market in cancel_only mode", OrderError),
    ("EService:Market in post_only mode", OrderError),
    ("EGeneral:Invalid arguments", InvalidArgumentsError),
    ("EQuery:Unknown asset pair", InvalidArgumentsError),
    ("EQuery:Unknown asset", InvalidArgumentsError),
    ("EOrder:", OrderError),
)

# Strings the table does not name fall back on their category.
_CATEGORY_FALLBACK: tuple[tuple[str, type[VenueError]], ...] = (
    ("EOrder:", OrderError),
    ("EQuery:", InvalidArgumentsError),
    ("EService:", ServiceUnavailableError),
)

# With several errors in one reply, the one that says "stop" decides: never retry what also
# said the key is bad.
_SEVERITY: tuple[type[VenueError], ...] = (
    AuthError,
    InvalidNonceError,
    RejectedError,
    VenueError,  # unknown strings: not retried, the caller decides
    TemporaryVenueError,
)

_AFTER_COLON = re.compile(r":\s+")


def classify(kraken_error: str) -> type[VenueError]:
    """Return the error class for one Kraken error string."""
    normal = _AFTER_COLON.sub(":", kraken_error.strip())
    for prefix, error_class in ERROR_TABLE:
        if normal.startswith(prefix):
            return error_class
    for prefix, error_class in _CATEGORY_FALLBACK:
        if normal.startswith(prefix):
            return error_class
    return VenueError


def _rank(error_class: type[VenueError]) -> int:
    for rank, family in enumerate(_SEVERITY):
        if error_class is family or (family is not VenueError and issubclass(error_class, family)):
            return rank
    return len(_SEVERITY)


def error_from_kraken(
    errors: Sequence[str], *, method: str | None = None, http_status: int | None = None
) -> VenueError:
    """Build the error for a reply whose ``error`` list holds at least one ``E…`` string."""
    kraken_errors = tuple(str(error) for error in errors)
    error_class = min((classify(error) for error in kraken_errors), key=_rank)
    where = f"{method}: " if method else ""
    return error_class(
        f"{where}{'; '.join(kraken_errors)}",
        kraken_errors=kraken_errors,
        http_status=http_status,
        method=method,
    )


def error_from_http(status: int, *, method: str | None = None) -> VenueError:
    """Build the error for a non-200 reply without a Kraken error list."""
    where = f"{method}: " if method else ""
    if status == 429:
        return RateLimitError(
            f"{where}HTTP 429 Too Many Requests", http_status=status, method=method
        )
    if status >= 500:
        return ServiceUnavailableError(
            f"{where}HTTP {status} from Kraken or a proxy", http_status=status, method=method
        )
    return VenueError(f"{where}unexpected HTTP {status}", http_status=status, method=method)
