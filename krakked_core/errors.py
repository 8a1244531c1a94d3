"""The one error tree of Krakked: each branch tells the caller what to do.

- ConfigError / SecretsError: stop and tell the operator.
- VenueError: something the exchange (or the way to it) said.
    - TemporaryVenueError: retry with backoff (RateLimit, ServiceUnavailable, Network errors).
    - RejectedError: record it, do not retry (OrderError, InvalidArgumentsError).
    - OrderOutcomeUnknown: a state-changing call got no clean answer; it may or may not have
      happened, so look it up before doing anything (never resend, never assume "not placed").
    - AuthError: stop; retrying in a loop earns a lockout.
    - InvalidNonceError: on its own; a nonce bug, never a retry loop.
- DataError: market data that must not be used (stale, missing, unknown pair).
- PortfolioError, DatabaseError: domain and storage failures.

Venue errors keep Kraken's own error strings in ``kraken_errors`` so logs and records can show them.
No error message ever carries an API key, secret or signature.
"""


class KrakkedError(Exception):
    """Root of every error Krakked raises on purpose."""


# --- configuration and secrets -------------------------------------------------------------


class ConfigError(KrakkedError):
    """Configuration is invalid; nothing should start."""


class SecretsError(KrakkedError):
    """Credentials could not be produced."""


class NoCredentialsError(SecretsError):
    """Neither complete environment variables nor a secrets file: start the setup flow."""


class SecretsDecryptionError(SecretsError):
    """The secrets file could not be decrypted (wrong password or damaged file)."""

    def __init__(self, message: str = "Wrong password or corrupted secrets file") -> None:
        super().__init__(message)


# --- the exchange ----------------------------------------------------------------------------


class VenueError(KrakkedError):
    """Something the exchange, or the network to it, reported."""

    def __init__(
        self,
        message: str,
        *,
        kraken_errors: tuple[str, ...] = (),
        http_status: int | None = None,
        method: str | None = None,
        cl_ord_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.kraken_errors = kraken_errors
        self.http_status = http_status
        self.method = method
        self.cl_ord_id = cl_ord_id  # the client order id the call carried, if any


class TemporaryVenueError(VenueError):
    """Transient: retry with backoff."""

    retry_after_seconds: float | None = None


class RateLimitError(TemporaryVenueError):
    """A rate limit was hit (Kraken's counter, throttling, HTTP 429): back off, then retry."""


class ServiceUnavailableError(TemporaryVenueError):
    """Kraken is unavailable, busy, or failed internally (incl. HTTP 5xx)."""


class NetworkError(TemporaryVenueError):
    """Timeout, DNS failure, refused or reset connection.

    For a state-changing call it means the request provably never left (DNS, refused, connect
    timeout); a failure after it was sent is an ``OrderOutcomeUnknown`` instead.
    """


class RejectedError(VenueError):
    """The exchange refused the request on its merits: record it, do not retry."""


class OrderError(RejectedError):
    """An order was refused (``EOrder:*``, market in cancel-only/post-only mode)."""


class InvalidArgumentsError(RejectedError):
    """The request's arguments were invalid (``EGeneral:Invalid arguments``, unknown pair/asset)."""


class OrderOutcomeUnknown(VenueError):
    """A state-changing call (``AddOrder``, ``CancelOrder``, …) got no clean reply from Kraken.

    It may have executed: look it up (by ``cl_ord_id`` when there is one) before doing anything.
    Neither temporary (a blind resend can duplicate an order) nor rejected (it may stand).
    """


class AuthError(VenueError):
    """Invalid key or signature, missing permission, lockout: stop and tell the operator."""


class InvalidNonceError(VenueError):
    """Kraken saw a nonce that did not increase: a nonce-source bug or a shared key."""


# --- market data ---------------------------------------------------------------------------


class DataError(KrakkedError):
    """Market data that must not be used as it is."""


class DataUnavailableError(DataError):
    """No data at all yet for what was asked."""


class DataStaleError(DataError):
    """Data exists but is older than the staleness tolerance: never pass it off as fresh."""


class UnknownPairError(DataError):
    """The pair is not in the universe (or not on the exchange)."""


class InsufficientDataError(DataError):
    """Fewer bars are stored than were asked for."""


# --- portfolio and storage -----------------------------------------------------------------


class PortfolioError(KrakkedError):
    """The portfolio cannot answer as asked."""


class PositionNotFoundError(PortfolioError):
    """No open position for that pair."""


class DatabaseError(KrakkedError):
    """The app database is unusable as it is."""


class DatabaseVersionError(DatabaseError):
    """The database schema is newer or older than this code expects."""


class PriceNotFinalError(DataUnavailableError):
    """The price at that moment is still forming (its candle has not closed yet): ask again
    later rather than record a value that would change."""


class BackupError(DatabaseError):
    """A backup could not be written, or a file is not a backup this code can restore."""


class MigrationError(DatabaseError):
    """A schema migration failed; the message says what state the database was left in."""


class KrakkedRunningError(KrakkedError):
    """Krakked is running on this data dir, and the operation needs it stopped."""
