"""What an order-entry call costs on Kraken's per-pair trading counter.

AddOrder costs 1 on its pair; cancelling costs a penalty that grows the younger the order is.
The pair is keyed by its altname, as the exchange reports it in an order's ``descr.pair``.
"""

from collections.abc import Mapping
from typing import Any

from krakked_core.sim.errors import SimError
from krakked_core.sim.exchange import Exchange
from krakked_core.sim.limits import cancel_penalty


class TradingCosts:
    """Look up, through the exchange's own public and private views, what a call will cost."""

    def __init__(self, exchange: Exchange) -> None:
        self._exchange = exchange

    def before(self, method: str, params: Mapping[str, str]) -> dict[str, float]:
        """Per-pair costs of this call if the exchange accepts it (empty when it costs nothing)."""
        if method == "AddOrder" and params.get("validate", "").lower() not in {"true", "1"}:
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
        wanted = {part.strip() for part in params.get("txid", "").split(",") if part.strip()}
        cl_ord_id = params.get("cl_ord_id")
        try:
            open_orders = self._exchange.private("OpenOrders", {}).get("open", {})
        except SimError:
            return {}
        now = self._exchange.clock.now().timestamp()
        costs: dict[str, float] = {}
        for txid, order in open_orders.items():
            if not _matches(txid, order, wanted, cl_ord_id):
                continue
            pair = str(order.get("descr", {}).get("pair", ""))
            penalty = cancel_penalty(now - float(order.get("opentm", now)))
            if pair and penalty:
                costs[pair] = costs.get(pair, 0.0) + penalty
        return costs


def _matches(txid: str, order: Mapping[str, Any], wanted: set[str], cl_ord_id: str | None) -> bool:
    if cl_ord_id is not None:
        return order.get("cl_ord_id") == cl_ord_id
    # Kraken's CancelOrder ``txid`` may also be a userref, cancelling every order carrying it.
    return txid in wanted or str(order.get("userref")) in wanted
