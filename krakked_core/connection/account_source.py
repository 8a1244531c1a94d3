"""Kraken's account history and balances as domain values: the ``AccountSource`` adapter."""

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from krakked_core.connection.parsers.account import (
    parse_balance,
    parse_closed_orders,
    parse_ledgers,
    parse_trades_history,
)
from krakked_core.connection.parsers.market import parse_asset_pairs
from krakked_core.connection.symbols import normalize
from krakked_core.model.account import (
    AccountBalances,
    ExchangeOrder,
    LedgerEntry,
    Page,
    TradeFill,
)

logger = logging.getLogger(__name__)
PairMap = Mapping[str, tuple[str, str]]


class AccountClient(Protocol):
    """The raw endpoints the adapter calls (``connection.KrakenRestClient`` has them)."""

    def balance(self) -> Any: ...

    def trades_history(
        self, ofs: int | None = None, start: int | str | None = None, end: int | str | None = None
    ) -> Any: ...

    def ledgers(
        self,
        ofs: int | None = None,
        start: int | str | None = None,
        end: int | str | None = None,
        type: str | None = None,  # Kraken's own field name
    ) -> Any: ...

    def closed_orders(
        self,
        ofs: int | None = None,
        start: int | str | None = None,
        end: int | str | None = None,
        userref: int | None = None,
        cl_ord_id: str | None = None,
    ) -> Any: ...

    def asset_pairs(self, pairs: Sequence[str] | None = None) -> Any: ...


def pair_names(result: object) -> dict[str, tuple[str, str]]:
    """``AssetPairs`` → every name a pair goes by (raw, altname, wsname) → (base, quote)."""
    names: dict[str, tuple[str, str]] = {}
    for entry in parse_asset_pairs(result):
        meta = entry.metadata
        legs = (normalize(meta.base), normalize(meta.quote))
        for name in (meta.raw_name, meta.canonical, meta.ws_symbol.replace("/", "")):
            if name:
                names[name.upper()] = legs
    return names


class KrakenAccountSource:
    """``AccountSource`` over Kraken's private REST endpoints (or the sandbox exchange's).

    Pair names are split by the exchange's own ``AssetPairs`` (all pairs, every status), fetched
    on first need, so once per sync where a service lives for one sync (CLI, Dagster); a name it
    does not know (a pair listed since) fetches the list again, once per such name per stream
    read. Only when the list does not know a name either is it split by guessing its ending; a
    row that still cannot be read is left out and the sync keeps its mark before it.
    """

    def __init__(self, client: AccountClient, pairs: PairMap | None = None) -> None:
        self._client = client
        self._pairs = pairs  # raw pair name → (base, quote), from AssetPairs
        self._fixed = pairs is not None  # given by the caller: never fetched
        self._asked_about: set[str] = set()

    def trades_page(self, *, offset: int, start: datetime | None) -> Page[TradeFill]:
        result = self._client.trades_history(ofs=offset, start=_epoch(start))
        names = _names(result, "trades", lambda row: row.get("pair"))
        return parse_trades_history(result, self._pair_map(names, offset))

    def ledger_page(self, *, offset: int, start: datetime | None) -> Page[LedgerEntry]:
        return parse_ledgers(self._client.ledgers(ofs=offset, start=_epoch(start)))

    def closed_orders_page(self, *, offset: int, start: datetime | None) -> Page[ExchangeOrder]:
        result = self._client.closed_orders(ofs=offset, start=_epoch(start))
        names = _names(result, "closed", lambda row: (row.get("descr") or {}).get("pair"))
        return parse_closed_orders(result, self._pair_map(names, offset))

    def _pair_map(self, names: set[str], offset: int) -> PairMap:
        if self._fixed:
            return self._pairs or {}
        if offset == 0:  # a stream starts (a new sync): names unknown last time may be listed now
            self._asked_about.clear()
        unknown = names - set(self._pairs or {}) - self._asked_about
        if self._pairs is None or unknown:
            self._asked_about |= unknown
            self._pairs = pair_names(self._client.asset_pairs())
            logger.info("pair names from AssetPairs: %d", len(self._pairs))
        return self._pairs

    def balances(self) -> AccountBalances:
        return parse_balance(self._client.balance())


def _names(result: object, key: str, pair_of: Callable[[Mapping[str, Any]], Any]) -> set[str]:
    """The pair names a page mentions (malformed rows are the parser's to report)."""
    rows = result.get(key) if isinstance(result, Mapping) else None
    if not isinstance(rows, Mapping):
        return set()
    found: Iterable[Any] = (pair_of(row) for row in rows.values() if isinstance(row, Mapping))
    return {str(name).upper().replace("/", "") for name in found if name}


def _epoch(when: datetime | None) -> int | None:
    return int(when.timestamp()) if when is not None else None
