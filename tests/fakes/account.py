"""In-memory account and prices for portfolio tests (ports implemented honestly, no mocks)."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from krakked_core.clock import ManualClock
from krakked_core.connection.ledger_types import ledger_kind
from krakked_core.errors import InvalidArgumentsError, UnknownPairError
from krakked_core.model.account import (
    AccountBalances,
    ExchangeOrder,
    LedgerEntry,
    Page,
    TradeFill,
)
from krakked_core.portfolio.models import CashFlowRecord, TradeEvent

T0 = datetime(2025, 1, 1, tzinfo=UTC)
PAGE = 50


def d(value: str | int) -> Decimal:
    return Decimal(str(value))


class FixedPrices:
    """A PriceSource with set prices, the same at every moment (so also a HistoricalPriceSource);
    unknown pairs raise UnknownPairError now and have no price in the past."""

    def __init__(self, prices: dict[str, str] | None = None) -> None:
        self.prices = {k: Decimal(v) for k, v in (prices or {}).items()}
        self.asked: list[str] = []

    def get_latest_price(self, pair: str) -> Decimal:
        self.asked.append(pair)
        if pair not in self.prices:
            raise UnknownPairError(f"no price for {pair}")
        return self.prices[pair]

    def price_at(self, pair: str, at: datetime) -> Decimal | None:
        return self.prices.get(pair)


class PriceHistory:
    """A HistoricalPriceSource: each pair's price from a moment on; the latest is "now"."""

    def __init__(self) -> None:
        self.changes: dict[str, list[tuple[datetime, Decimal]]] = {}

    def set(self, pair: str, price: str | Decimal, since: datetime) -> None:
        self.changes.setdefault(pair, []).append((since, Decimal(str(price))))
        self.changes[pair].sort()

    def price_at(self, pair: str, at: datetime) -> Decimal | None:
        known = [price for since, price in self.changes.get(pair, []) if since <= at]
        return known[-1] if known else None

    def get_latest_price(self, pair: str) -> Decimal:
        if not self.changes.get(pair):
            raise UnknownPairError(f"no price for {pair}")
        return self.changes[pair][-1][1]


@dataclass
class FakeAccount:
    """An AccountSource over lists, paged 50 at a time newest first like Kraken."""

    trades: list[TradeFill] = field(default_factory=list)
    ledger: list[LedgerEntry] = field(default_factory=list)
    orders: list[ExchangeOrder] = field(default_factory=list)
    balances_override: dict[str, Decimal] | None = None
    calls: list[str] = field(default_factory=list)
    fail_after_pages: int | None = None  # raise on the n-th page call (a sync killed half-way)
    extra_balance: dict[str, Decimal] = field(default_factory=dict)

    def _page(self, name: str, items: list, offset: int, start: datetime | None) -> Page:
        self.calls.append(name)
        if self.fail_after_pages is not None and len(self.calls) > self.fail_after_pages:
            raise ConnectionError("killed")

        def when(item):
            return item.time if hasattr(item, "time") else item.closed_at

        matching = [i for i in items if start is None or when(i) > start]
        matching.sort(key=when, reverse=True)
        return Page(items=tuple(matching[offset : offset + PAGE]), count=len(matching))

    def trades_page(self, *, offset: int, start: datetime | None) -> Page[TradeFill]:
        return self._page("trades", self.trades, offset, start)

    def ledger_page(self, *, offset: int, start: datetime | None) -> Page[LedgerEntry]:
        return self._page("ledgers", self.ledger, offset, start)

    def closed_orders_page(self, *, offset: int, start: datetime | None) -> Page[ExchangeOrder]:
        return self._page("orders", self.orders, offset, start)

    def balances(self) -> AccountBalances:
        self.calls.append("balance")
        if self.balances_override is not None:
            return AccountBalances(dict(self.balances_override))
        totals: dict[str, Decimal] = {}
        for e in self.ledger:
            totals[e.asset] = totals.get(e.asset, Decimal(0)) + e.amount - e.fee
        for asset, extra in self.extra_balance.items():
            totals[asset] = totals.get(asset, Decimal(0)) + extra
        return AccountBalances(totals)

    # --- making history (trades get their ledger rows, as on Kraken) ---------------------

    def deposit(self, asset: str, amount: str, at: datetime, *, kind: str = "deposit") -> None:
        n = len(self.ledger)
        self.ledger.append(
            LedgerEntry(
                ledger_id=f"L{n:06d}",
                refid=f"R{n:06d}",
                time=at,
                type=kind,
                subtype="",
                kind=ledger_kind(kind, ""),
                asset=asset,
                amount=d(amount),
                fee=Decimal(0),
            )
        )

    def trade(
        self,
        side: str,
        volume: str,
        price: str,
        at: datetime,
        *,
        fee: str = "0",
        fee_in: str = "quote",
        pair: tuple[str, str] = ("XBT", "USD"),
        order: str | None = None,
    ) -> TradeFill:
        base, quote = pair
        n = len(self.trades)
        vol, px, fee_d = d(volume), d(price), d(fee)
        cost = vol * px
        tid = f"T{n:06d}"
        sign = 1 if side == "buy" else -1
        base_fee = fee_d if fee_in == "base" else Decimal(0)
        quote_fee = fee_d if fee_in == "quote" else Decimal(0)
        fill = TradeFill(
            trade_id=tid,
            order_txid=order or f"O{n:06d}",
            pair=f"{base}{quote}",
            base=base,
            quote=quote,
            side=side,  # type: ignore[arg-type]
            price=px,
            volume=vol,
            cost=cost,
            fee={"quote": fee_d, "base": fee_d * px}.get(fee_in, Decimal(0)),
            time=at,
        )
        self.trades.append(fill)
        k = len(self.ledger)
        legs = [(base, sign * vol, base_fee), (quote, -sign * cost, quote_fee)]
        if fee_in not in ("quote", "base"):  # a third asset (fee credits): its own ledger row
            legs.append((fee_in, Decimal(0), fee_d))
        for i, (asset, amount, f) in enumerate(legs):
            self.ledger.append(
                LedgerEntry(
                    ledger_id=f"L{k:06d}-{i}",
                    refid=tid,
                    time=at,
                    type="trade",
                    subtype="",
                    kind="trade",
                    asset=asset,
                    amount=amount,
                    fee=f,
                )
            )
        return fill


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def trade_event(
    side: str,
    volume: str,
    price: str,
    minute: int,
    *,
    fee: str = "0",
    fee_asset: str = "USD",
    fee_usd: str | None = None,
    pair: tuple[str, str] = ("XBT", "USD"),
    quote_usd: str = "1",
    trade_id: str | None = None,
) -> TradeEvent:
    base, quote = pair
    vol, px, fee_d = d(volume), d(price), d(fee)
    if fee_usd is None:
        if fee_asset == quote:
            fee_usd = str(fee_d * d(quote_usd))
        elif fee_asset == base:
            fee_usd = str(fee_d * px * d(quote_usd))
    return TradeEvent(
        trade_id=trade_id or f"T{minute:06d}",
        order_txid=None,
        pair=f"{base}{quote}",
        base=base,
        quote=quote,
        side=side,  # type: ignore[arg-type]
        price=px,
        volume=vol,
        cost=vol * px,
        fee_asset=fee_asset,
        fee=fee_d,
        time=at(minute),
        quote_usd=d(quote_usd),
        fee_usd=None if fee_usd is None else d(fee_usd),
    )


def cash_flow(
    asset: str,
    amount: str,
    minute: int,
    *,
    kind: str = "deposit",
    value_usd: str | None = None,
    fee: str = "0",
    refid: str | None = None,
) -> CashFlowRecord:
    return CashFlowRecord(
        id=f"C{minute:06d}{asset}",
        time=at(minute),
        asset=asset,
        amount=d(amount),
        fee=d(fee),
        type=kind,  # type: ignore[arg-type]
        value_usd=None if value_usd is None else d(value_usd),
        refid=refid,
    )


class OhlcServer:
    """Kraken's OHLC over a price path: the latest 720 candles of the interval, the last running.

    ``price(t)`` is the price from epoch second ``t`` on; each candle closes at the price its
    last second had (or, for the running one, the price now).
    """

    def __init__(self, clock: ManualClock, path: dict[str, list[tuple[datetime, str]]]) -> None:
        self.clock = clock
        self.path = path
        self.calls: list[tuple[str, int]] = []

    def _price(self, pair: str, t: int) -> str:
        known = [p for since, p in self.path[pair] if since.timestamp() <= t]
        return known[-1] if known else self.path[pair][0][1]

    def ohlc(self, pair: str, interval: int, since: int | None = None) -> object:
        self.calls.append((pair, interval))
        if pair not in self.path:
            raise InvalidArgumentsError("EQuery:Unknown asset pair")
        width = interval * 60
        now = int(self.clock.now().timestamp())
        running = now // width * width
        rows = []
        for start in range(running - 719 * width, running + width, width):
            close = self._price(pair, min(start + width - 1, now))
            rows.append([start, close, close, close, close, close, "1.0", 1])
        return {pair: rows, "last": running - width}


class LatestPriceAt:
    """The latest price as of the clock (what a live market data service would say then)."""

    def __init__(self, history: PriceHistory, clock: ManualClock) -> None:
        self.history, self.clock = history, clock

    def get_latest_price(self, pair: str) -> Decimal:
        price = self.history.price_at(pair, self.clock.now())
        assert price is not None
        return price
