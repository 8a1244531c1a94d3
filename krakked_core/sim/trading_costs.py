"""What an order-entry call costs on Kraken's per-pair trading counter.

AddOrder costs 1 on its pair; cancelling costs a penalty that grows the younger the order is.
The pair is keyed by its altname, as the exchange reports it in an order's ``descr.pair``.
"""

from collections.abc import Mapping

from krakked_core.sim.errors import SimError
from krakked_core.sim.exchange import Exchange
from krakked_core.sim.limits import cancel_penalty


class TradingCosts:
    """Look up, through the exchange itself, what a call will cost."""

    def __init__(self, exchange: Exchange) -> None:
        self._exchange = exchange

    def before(self, method: str, params: Mapping[str, str]) -> dict[str, float]:
        """Per-pair costs of this call if the exchange accepts it (empty when it costs nothing)."""
        if method == "AddOrder" and "validate" not in params:  # any validate: nothing placed
            altname = self._altname(params.get("pair", ""))
            return {altname: 1.0} if altname else {}
        if method == "CancelOrder":
            return self._cancel_costs(params)
        return {}

    def _altname(self, pair: str) -> str | None:
        try:
            return self._exchange.markets.get(pair).altname
        except SimError:
            return None  # the exchange will reject the order with its own error

    def _cancel_costs(self, params: Mapping[str, str]) -> dict[str, float]:
        """The penalties of exactly the orders the exchange's CancelOrder will cancel."""
        try:
            targets = self._exchange.cancel_targets(params)
        except SimError:
            return {}  # the exchange will refuse the call with its own error
        now = self._exchange.clock.now().timestamp()
        costs: dict[str, float] = {}
        for order in targets:
            altname = self._exchange.markets.pairs[order.pair].altname
            penalty = cancel_penalty(now - float(order.opentm))
            if penalty:
                costs[altname] = costs.get(altname, 0.0) + penalty
        return costs
