"""The boundaries of the domain in one place: each area depends on these, not on adapters.

Implementations: the Kraken adapter (connection/), the sandbox exchange (sim/), the app DB, and
fakes in tests/fakes. Areas add the ports they need here.
"""

from decimal import Decimal
from typing import Protocol


class PriceSource(Protocol):
    """Current prices for valuation; raises DataStaleError / DataUnavailableError, never guesses."""

    def get_latest_price(self, pair: str) -> Decimal:
        """The last trade price of a canonical pair (e.g. ``XBTUSD``)."""
        ...
