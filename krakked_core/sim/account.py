"""The account: balances moved only through ledger rows, holds of open orders, and ids.

A balance is always the sum of its asset's ledger rows (``amount - fee``); the only exception is
``adjust_silently``, which exists to let tests provoke the bot's drift detection.
"""

import base64
import hashlib
from collections.abc import Iterable
from decimal import ROUND_CEILING, ROUND_HALF_EVEN, Decimal

from krakked_core.sim.errors import FUNDING_INSUFFICIENT, SimError
from krakked_core.sim.markets import Markets, Pair
from krakked_core.sim.records import ZERO, LedgerEntry, Order
from krakked_core.sim.state import ExchangeState


class Ids:
    """Kraken-looking ids (``OXXXXX-XXXXX-XXXXXX``) from the seed and a per-kind counter."""

    def __init__(self, seed: int, counters: dict[str, int]) -> None:
        self._seed = seed
        self._counters = counters  # the state's own dict: saving it keeps ids continuing

    def next(self, kind: str) -> str:
        """The next id of ``kind``: "O" orders, "T" trades, "L" ledger rows, "Q" funding refs."""
        number = self.number(kind)
        digest = hashlib.sha256(f"{self._seed}|{kind}|{number}".encode()).digest()
        chars = base64.b32encode(digest).decode()[:16]
        return f"{kind}{chars[:5]}-{chars[5:10]}-{chars[10:16]}"

    def number(self, kind: str) -> int:
        self._counters[kind] = self._counters.get(kind, 0) + 1
        return self._counters[kind]


class Account:
    """Balances, ledger and holds over one ``ExchangeState``."""

    def __init__(self, state: ExchangeState, markets: Markets, ids: Ids) -> None:
        self._state = state
        self._markets = markets
        self._ids = ids

    def quantum(self, asset: str) -> Decimal:
        return Decimal(1).scaleb(-self._markets.asset_decimals(asset))

    def round(self, asset: str, amount: Decimal) -> Decimal:
        return amount.quantize(self.quantum(asset), rounding=ROUND_HALF_EVEN)

    def round_up(self, asset: str, amount: Decimal) -> Decimal:
        return amount.quantize(self.quantum(asset), rounding=ROUND_CEILING)

    def balance(self, asset: str) -> Decimal:
        return self._state.balances.get(asset, ZERO)

    def holds(self) -> dict[str, Decimal]:
        """What open orders keep from being spent, per asset."""
        held: dict[str, Decimal] = {}
        for order in self._open_orders():
            pair = self._markets.pairs[order.pair]
            which, amount = order.hold()
            asset = pair.quote if which == "quote" else pair.base
            if amount > 0:
                held[asset] = held.get(asset, ZERO) + amount
        return held

    def available(self, asset: str) -> Decimal:
        return self.balance(asset) - self.holds().get(asset, ZERO)

    def post(
        self,
        asset: str,
        amount: Decimal,
        *,
        fee: Decimal = ZERO,
        type_: str,
        refid: str,
        time: Decimal,
        subtype: str = "",
    ) -> LedgerEntry:
        """Move ``amount - fee`` of ``asset`` and write the ledger row that says so."""
        after = self.balance(asset) + amount - fee
        if after < 0:
            raise SimError(FUNDING_INSUFFICIENT)
        self._state.balances[asset] = after
        row = LedgerEntry(
            id=self._ids.next("L"),
            refid=refid,
            time=time,
            type=type_,
            subtype=subtype,
            asset=asset,
            amount=amount,
            fee=fee,
            balance=after,
        )
        self._state.ledger.append(row)
        return row

    def fund(self, asset: str, amount: Decimal, type_: str, time: Decimal) -> str:
        """A deposit (amount > 0) or withdrawal (amount < 0) or reward; returns the ledger id."""
        amount = self.round(asset, amount)
        if amount < 0 and self.available(asset) + amount < 0:
            raise SimError(FUNDING_INSUFFICIENT)
        refid = self._ids.next("Q")
        return self.post(asset, amount, type_=type_, refid=refid, time=time).id

    def adjust_silently(self, asset: str, amount: Decimal) -> None:
        """Move funds with no ledger row (a deliberate drift), never below what orders hold."""
        after = self.balance(asset) + amount
        if after < self.holds().get(asset, ZERO):
            raise SimError(FUNDING_INSUFFICIENT)
        self._state.balances[asset] = after

    def settle_fill(
        self,
        order: Order,
        pair: Pair,
        *,
        qty: Decimal,
        cost: Decimal,
        fee: Decimal,
        refid: str,
        time: Decimal,
    ) -> list[str]:
        """Write a fill's two ledger rows (base, then quote with the fee); return their ids."""
        sign = Decimal(1) if order.side == "buy" else Decimal(-1)
        base = self.post(pair.base, sign * qty, type_="trade", refid=refid, time=time)
        quote = self.post(pair.quote, -sign * cost, fee=fee, type_="trade", refid=refid, time=time)
        return [base.id, quote.id]

    def _open_orders(self) -> Iterable[Order]:
        return self._state.open_orders.values()
