"""The visible order book: a spread around the path price and a few levels of depth per side.

Depth is a pure function of (seed, pair, minute); what the account's market orders take from it
during a minute is remembered by the caller (``used``), so a second order in the same minute
meets the depth the first left.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from krakked_core.sim.markets import Pair
from krakked_core.sim.prices import rng

DEPTH_LEVELS = 10
_LEVEL_NOTIONALS = 8  # each level holds about this many average trades


@dataclass(frozen=True)
class Level:
    price: Decimal
    volume: Decimal
    timestamp: int


@dataclass(frozen=True)
class Book:
    bids: list[Level]  # best (highest) first
    asks: list[Level]  # best (lowest) first


def top_of_book(pair: Pair, mid: float, spread_bps: Decimal) -> tuple[Decimal, Decimal]:
    """Bid and ask on the pair's tick, ``spread_bps`` apart around ``mid`` (at least a tick)."""
    tick = float(pair.tick)
    half = float(spread_bps) / 20_000
    bid = max(1, math.floor(mid * (1 - half) / tick))
    ask = max(bid + 1, math.ceil(mid * (1 + half) / tick))
    return bid * pair.tick, ask * pair.tick


def book(pair: Pair, mid: float, spread_bps: Decimal, seed: int, minute: int) -> Book:
    """The book at one minute: ``DEPTH_LEVELS`` levels a side, spaced a few bps apart."""
    bid, ask = top_of_book(pair, mid, spread_bps)
    gen = rng(seed, pair.key, "depth", minute)
    spacing = max(1, round(mid * 0.0003 / float(pair.tick))) * pair.tick
    sizes = gen.uniform(0.3, 1.7, 2 * DEPTH_LEVELS) * pair.params.trade_notional
    ages = gen.integers(0, 60, 2 * DEPTH_LEVELS)
    levels: list[list[Level]] = [[], []]
    for side, (best, direction) in enumerate(((bid, -1), (ask, 1))):
        for i in range(DEPTH_LEVELS):
            price = best + direction * i * spacing
            if price <= 0:
                break
            j = side * DEPTH_LEVELS + i
            volume = Decimal(repr(_LEVEL_NOTIONALS * float(sizes[j]) / mid))
            volume = max(pair.lot, volume.quantize(pair.lot, rounding=ROUND_DOWN))
            levels[side].append(Level(price, volume, minute * 60 - int(ages[j])))
    return Book(bids=levels[0], asks=levels[1])


@dataclass(frozen=True)
class Take:
    level: int
    price: Decimal
    volume: Decimal


def walk(
    levels: Sequence[Level],
    used: Sequence[Decimal],
    volume: Decimal,
    limit: Decimal | None,
    side: str,
) -> list[Take]:
    """What a taker of ``volume`` gets from ``levels`` (asks for a buy, bids for a sell)."""
    takes: list[Take] = []
    left = volume
    for i, level in enumerate(levels):
        if left <= 0 or (limit is not None and _beyond(level.price, limit, side)):
            break
        free = level.volume - (used[i] if i < len(used) else Decimal(0))
        if free <= 0:
            continue
        got = min(free, left)
        takes.append(Take(i, level.price, got))
        left -= got
    return takes


def _beyond(price: Decimal, limit: Decimal, side: str) -> bool:
    return price > limit if side == "buy" else price < limit
