"""The sandbox's one error: a refusal carrying Kraken's exact error string.

The core (unknown pair, insufficient funds), auth (invalid key, signature, nonce) and the rate
limits all refuse with ``SimError``; the transport answers with its ``kraken_error``.
"""


class SimError(Exception):
    """A request the exchange refuses, as Kraken would: ``kraken_error`` is its error string."""

    def __init__(self, kraken_error: str) -> None:
        super().__init__(kraken_error)
        self.kraken_error = kraken_error


UNKNOWN_PAIR = "EQuery:Unknown asset pair"
UNKNOWN_ASSET = "EQuery:Unknown asset"
INVALID_ARGUMENTS = "EGeneral:Invalid arguments"
PERMISSION_DENIED = "EGeneral:Permission denied"
UNKNOWN_METHOD = "EGeneral:Unknown method"
UNKNOWN_ORDER = "EOrder:Unknown order"
INVALID_ORDER = "EOrder:Invalid order"
INSUFFICIENT_FUNDS = "EOrder:Insufficient funds"
ORDER_MINIMUM = "EOrder:Order minimum not met"
COST_MINIMUM = "EOrder:Cost minimum not met"
INVALID_PRICE = "EOrder:Invalid price"
TICK_SIZE = "EOrder:Tick size check failed"
FUNDING_INSUFFICIENT = "EFunding:Insufficient funds"
DEADLINE_ELAPSED = "EService:Deadline elapsed"


def invalid(field: str | None = None) -> SimError:
    """``EGeneral:Invalid arguments[:field]``."""
    return SimError(f"{INVALID_ARGUMENTS}:{field}" if field else INVALID_ARGUMENTS)
