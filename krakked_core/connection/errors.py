"""Kraken's error strings and HTTP failures, translated into the error tree of krakked_core.

Kraken answers HTTP 200 with ``{"error": [...], "result": ...}``; a non-200 status comes from the
network, a proxy or Cloudflare. When a body carries an error list it wins over the status. The
original strings are kept in ``kraken_errors`` for logs and records.

A state-changing call (anything outside ``READ_ONLY_PRIVATE_METHODS``) that got no clean answer
is an ``OrderOutcomeUnknown``: FACTS.md, "Account and orders": after a timeout, an HTTP 502/520
from the front end or a reset, look the order up before doing anything else.
"""

import re
from collections.abc import Sequence
from typing import NamedTuple

from krakked_core.errors import (
    AuthError,
    InvalidArgumentsError,
    InvalidNonceError,
    OrderError,
    OrderOutcomeUnknown,
    RateLimitError,
    RejectedError,
    ServiceUnavailableError,
    TemporaryVenueError,
    VenueError,
)


class ErrorRule(NamedTuple):
    """Kraken error strings starting with ``prefix`` raise ``error_class``.

    ``unknown_if_changing``: Kraken answered, but not whether a state-changing call took effect
    (the engine may have acted before failing), so for such a call the outcome is unknown.
    """

    prefix: str
    error_class: type[VenueError]
    unknown_if_changing: bool = False


# The classes follow FACTS.md's error table ("Auth / stop", "Retry with backoff", "Business
# rejects"). Prefixes are compared with the spaces after colons removed, so
# "EService: Throttled: 1700000000" matches "EService:Throttled". First match wins.
ERROR_TABLE: tuple[ErrorRule, ...] = (
    ErrorRule("EAPI:Invalid key", AuthError),
    ErrorRule("EAPI:Invalid signature", AuthError),
    ErrorRule("EAPI:Invalid nonce", InvalidNonceError),
    ErrorRule("EAPI:Bad request", AuthError),
    ErrorRule("EGeneral:Permission denied", AuthError),
    ErrorRule("EGeneral:Temporary lockout", AuthError),
    ErrorRule("EAPI:Rate limit exceeded", RateLimitError),
    ErrorRule("EGeneral:Too many requests", RateLimitError),
    ErrorRule("EService:Throttled", RateLimitError),
    # Refused at the door: definite, nothing was done (FACTS: retry with backoff).
    ErrorRule("EService:Unavailable", ServiceUnavailableError),
    ErrorRule("EService:Busy", ServiceUnavailableError),
    # FACTS lists it under "retry with backoff", but an internal failure can come after the
    # engine accepted the order: retried blindly, that is a second order.
    ErrorRule("EGeneral:Internal error", ServiceUnavailableError, unknown_if_changing=True),
    # Not in FACTS: the request outlived its processing deadline inside Kraken, which does not
    # say whether it was acted on. Looking it up is safe; assuming "not placed" is not.
    ErrorRule("EService:Deadline elapsed", ServiceUnavailableError, unknown_if_changing=True),
    ErrorRule("EService:Market in cancel_only mode", OrderError),
    ErrorRule("EService:Market in post_only mode", OrderError),
    ErrorRule("EGeneral:Invalid arguments", InvalidArgumentsError),
    ErrorRule("EQuery:Unknown asset pair", InvalidArgumentsError),
    ErrorRule("EQuery:Unknown asset", InvalidArgumentsError),
    ErrorRule("EOrder:", OrderError),
)

# Strings the table does not name fall back on their category. An unnamed service failure on a
# state-changing call is treated as the cautious case: unknown.
_CATEGORY_FALLBACK: tuple[ErrorRule, ...] = (
    ErrorRule("EOrder:", OrderError),
    ErrorRule("EQuery:", InvalidArgumentsError),
    ErrorRule("EService:", ServiceUnavailableError, unknown_if_changing=True),
)

# With several errors in one reply, the one that says "stop" decides: never retry what also
# said the key is bad. A definite refusal beats "unknown"; "unknown" beats a retry.
_SEVERITY: tuple[type[VenueError], ...] = (
    AuthError,
    InvalidNonceError,
    RejectedError,
    OrderOutcomeUnknown,
    VenueError,  # unknown strings: not retried, the caller decides
    TemporaryVenueError,
)

_AFTER_COLON = re.compile(r":\s+")


def classify(kraken_error: str, *, changes_state: bool = False) -> type[VenueError]:
    """Return the error class for one Kraken error string, for a call that changes state or not."""
    normal = _AFTER_COLON.sub(":", kraken_error.strip())
    for rule in (*ERROR_TABLE, *_CATEGORY_FALLBACK):
        if normal.startswith(rule.prefix):
            if changes_state and rule.unknown_if_changing:
                return OrderOutcomeUnknown
            return rule.error_class
    return VenueError


def _rank(error_class: type[VenueError]) -> int:
    for rank, family in enumerate(_SEVERITY):
        if error_class is family or (family is not VenueError and issubclass(error_class, family)):
            return rank
    return len(_SEVERITY)


def outcome_unknown(
    method: str | None,
    reason: str,
    *,
    cl_ord_id: str | None = None,
    http_status: int | None = None,
    kraken_errors: tuple[str, ...] = (),
) -> OrderOutcomeUnknown:
    """Build the error for a state-changing call whose effect is unknown (``reason``: why)."""
    order = f" (cl_ord_id {cl_ord_id})" if cl_ord_id else ""
    return OrderOutcomeUnknown(
        f"{method or 'request'}{order}: outcome unknown, {reason}: "
        "look it up before doing anything",
        kraken_errors=kraken_errors,
        http_status=http_status,
        method=method,
        cl_ord_id=cl_ord_id,
    )


def error_from_kraken(
    errors: Sequence[str],
    *,
    method: str | None = None,
    http_status: int | None = None,
    changes_state: bool = False,
    cl_ord_id: str | None = None,
) -> VenueError:
    """Build the error for a reply whose ``error`` list holds at least one ``E…`` string."""
    kraken_errors = tuple(str(error) for error in errors)
    error_class = min(
        (classify(error, changes_state=changes_state) for error in kraken_errors), key=_rank
    )
    if error_class is OrderOutcomeUnknown:
        return outcome_unknown(
            method,
            f"Kraken said {'; '.join(kraken_errors)}",
            cl_ord_id=cl_ord_id,
            http_status=http_status,
            kraken_errors=kraken_errors,
        )
    where = f"{method}: " if method else ""
    return error_class(
        f"{where}{'; '.join(kraken_errors)}",
        kraken_errors=kraken_errors,
        http_status=http_status,
        method=method,
        cl_ord_id=cl_ord_id,
    )


def error_from_http(
    status: int,
    *,
    method: str | None = None,
    changes_state: bool = False,
    cl_ord_id: str | None = None,
) -> VenueError:
    """Build the error for a non-200 reply without a Kraken error list."""
    if status == 429:
        error_class: type[VenueError] = RateLimitError
        reason = "HTTP 429 Too Many Requests"
    elif status >= 500:
        reason = f"HTTP {status} from Kraken or a proxy"
        if changes_state:
            # A 5xx from the front end after the POST: Kraken's engine may have acted on it.
            return outcome_unknown(method, reason, cl_ord_id=cl_ord_id, http_status=status)
        error_class = ServiceUnavailableError
    else:
        error_class, reason = VenueError, f"unexpected HTTP {status}"
    where = f"{method}: " if method else ""
    return error_class(f"{where}{reason}", http_status=status, method=method, cl_ord_id=cl_ord_id)
