"""Who made a trade: one function, used for every strategy tag the portfolio shows.

A bot order carries either a ``cl_ord_id`` (looked up in the OMS's order records) or a
``userref`` (mapped by ``portfolio.strategy_tags``); Kraken allows one or the other. Anything
else is ``manual``.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from krakked_core.portfolio.models import MANUAL

StrategyLookup = Callable[[str], str | None]
# A trade's order txid → the strategy that placed it, or ``"manual"``.
Tagger = Callable[[str | None], str]


@dataclass(frozen=True)
class OrderTag:
    """How the order behind a trade was tagged."""

    cl_ord_id: str | None
    userref: int | None


def attribute(
    cl_ord_id: str | None,
    userref: int | None,
    *,
    strategy_for_cl_ord_id: StrategyLookup,
    userref_tags: Mapping[int, str],
) -> str:
    """Return the strategy id that placed an order, or ``"manual"``."""
    if cl_ord_id:
        strategy = strategy_for_cl_ord_id(cl_ord_id)
        if strategy:
            return strategy
    if userref is not None and userref in userref_tags:
        return userref_tags[userref]
    return MANUAL


def counts(tag: str, include_manual: bool) -> bool:
    """Whether a trade with ``tag`` belongs in a PnL view that includes manual trades or not."""
    return include_manual or tag != MANUAL


def tagger(
    tags: Mapping[str, OrderTag],
    strategies_by_cl_ord_id: Mapping[str, str],
    userref_tags: Mapping[int, str],
) -> Tagger:
    """Tag trades by their order: ``tags`` by order txid, the OMS's strategies by cl_ord_id."""

    def tag(order_txid: str | None) -> str:
        found = tags.get(order_txid) if order_txid else None
        if found is None:
            return MANUAL
        return attribute(
            found.cl_ord_id,
            found.userref,
            strategy_for_cl_ord_id=strategies_by_cl_ord_id.get,
            userref_tags=userref_tags,
        )

    return tag
