"""Adapters from the Kraken REST client to the portfolio's ports (``AccountSource``, prices)."""

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from krakked_core.connection.parsers.account import (
    parse_balance,
    parse_closed_orders,
    parse_ledgers,
    parse_trades_history,
)
from krakked_core.connection.parsers.market import parse_ticker
from krakked_core.errors import (
    DataUnavailableError,
    InvalidArgumentsError,
    UnknownPairError,
    VenueError,
)
from krakked_core.model.account import (
    AccountBalances,
    ExchangeOrder,
    LedgerEntry,
    Page,
    TradeFill,
)


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


class TickerClient(Protocol):
    def ticker(self, pairs: Sequence[str]) -> Any: ...


class KrakenAccountSource:
    """``AccountSource`` over Kraken's private REST endpoints (or the sandbox exchange's)."""

    def __init__(
        self, client: AccountClient, pairs: Mapping[str, tuple[str, str]] | None = None
    ) -> None:
        self._client = client
        self._pairs = pairs  # raw pair name → (base, quote), from AssetPairs when known

    def trades_page(self, *, offset: int, start: datetime | None) -> Page[TradeFill]:
        result = self._client.trades_history(ofs=offset, start=_epoch(start))
        return parse_trades_history(result, self._pairs)

    def ledger_page(self, *, offset: int, start: datetime | None) -> Page[LedgerEntry]:
        return parse_ledgers(self._client.ledgers(ofs=offset, start=_epoch(start)))

    def closed_orders_page(self, *, offset: int, start: datetime | None) -> Page[ExchangeOrder]:
        return parse_closed_orders(self._client.closed_orders(ofs=offset, start=_epoch(start)))

    def balances(self) -> AccountBalances:
        return parse_balance(self._client.balance())


class KrakenTickerPrices:
    """``PriceSource`` from Kraken's public ``Ticker`` (last trade price), one pair per call.

    Used where no live market data service is at hand (the CLI); venue failures become the
    DataErrors the portfolio treats as "unvalued".
    """

    def __init__(self, client: TickerClient) -> None:
        self._client = client

    def get_latest_price(self, pair: str) -> Decimal:
        try:
            stats = parse_ticker(self._client.ticker([pair]))
        except InvalidArgumentsError as exc:
            raise UnknownPairError(f"{pair}: {exc}") from exc
        except VenueError as exc:
            raise DataUnavailableError(f"{pair}: {type(exc).__name__}: {exc}") from exc
        if len(stats) != 1:
            raise UnknownPairError(f"{pair}: the ticker answered for {sorted(stats)}")
        return next(iter(stats.values())).last


def _epoch(when: datetime | None) -> int | None:
    return int(when.timestamp()) if when is not None else None
