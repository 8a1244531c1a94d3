"""Kraken's private queries: balances, orders, trades and ledgers, paginated as Kraken pages."""

from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from krakked_core.sim.account import Account
from krakked_core.sim.errors import INVALID_ORDER, SimError, invalid
from krakked_core.sim.markets import STAKED_SUFFIXES, Markets
from krakked_core.sim.matching import Matcher
from krakked_core.sim.prices import PriceModel, ns_of
from krakked_core.sim.records import ZERO, LedgerEntry, Order, TradeRecord, fmt
from krakked_core.sim.state import ExchangeState
from krakked_core.sim.wire import int_param, names

PAGE = 50
_T = TypeVar("_T")
_TRUE = {"true", "1", "yes"}


class AccountApi:
    """Balance(Ex), TradeBalance, Open/Closed/QueryOrders, TradesHistory, QueryTrades, Ledgers."""

    def __init__(
        self,
        markets: Markets,
        prices: PriceModel,
        state: ExchangeState,
        account: Account,
        matcher: Matcher,
    ) -> None:
        self._markets = markets
        self._prices = prices
        self._state = state
        self._account = account
        self._matcher = matcher
        self.methods: dict[str, Callable[[Mapping[str, str], datetime], Any]] = {
            "Balance": self.balance,
            "BalanceEx": self.balance_ex,
            "TradeBalance": self.trade_balance,
            "OpenOrders": self.open_orders,
            "ClosedOrders": self.closed_orders,
            "QueryOrders": self.query_orders,
            "TradesHistory": self.trades_history,
            "QueryTrades": self.query_trades,
            "Ledgers": self.ledgers,
            "QueryLedgers": self.query_ledgers,
        }

    # --- balances ----------------------------------------------------------------------------

    def _amount(self, asset: str, value: Decimal) -> str:
        return fmt(value, self._markets.asset_decimals(asset))

    def balance(self, params: Mapping[str, str], now: datetime) -> dict[str, str]:
        return {
            asset: self._amount(asset, amount) for asset, amount in self._state.balances.items()
        }

    def balance_ex(self, params: Mapping[str, str], now: datetime) -> dict[str, dict[str, str]]:
        holds = self._account.holds()
        zero = "0.0000"
        return {
            asset: {
                "balance": self._amount(asset, amount),
                "hold_trade": self._amount(asset, holds.get(asset, ZERO)),
                "credit": zero,
                "credit_used": zero,
            }
            for asset, amount in self._state.balances.items()
        }

    def trade_balance(self, params: Mapping[str, str], now: datetime) -> dict[str, str]:
        target = self._markets.asset_key(params.get("asset", "ZUSD"))
        now_ns = ns_of(now)
        total = sum(
            (
                self.value(asset, amount, target, now_ns)
                for asset, amount in self._state.balances.items()
            ),
            ZERO,
        )
        value = self._amount(target, total)
        zero = self._amount(target, ZERO)
        return {
            "eb": value, "tb": value, "m": zero, "uv": zero, "n": zero, "c": zero, "v": zero,
            "e": value, "mf": value, "ml": zero,
        }  # fmt: skip

    def value(self, asset: str, amount: Decimal, target: str, now_ns: int) -> Decimal:
        """``amount`` of ``asset`` in ``target`` at mid prices (directly, or through XBT)."""
        if asset.endswith(STAKED_SUFFIXES):
            try:
                asset = self._markets.asset_key(asset.rsplit(".", 1)[0].replace("ETH2", "ETH"))
            except SimError:
                return ZERO  # a staked asset the market list cannot price
        if amount == 0 or asset == target:
            return amount
        direct = self._rate(asset, target, now_ns)
        if direct is not None:
            return amount * direct
        to_xbt, from_xbt = self._rate(asset, "XXBT", now_ns), self._rate("XXBT", target, now_ns)
        return amount * to_xbt * from_xbt if to_xbt and from_xbt else ZERO

    def _rate(self, asset: str, target: str, now_ns: int) -> Decimal | None:
        for pair in self._markets.pairs.values():
            if pair.altname.endswith(".d"):
                continue
            if (pair.base, pair.quote) == (asset, target):
                return Decimal(repr(self._prices.mid(pair, now_ns)))
            if (pair.base, pair.quote) == (target, asset):
                return 1 / Decimal(repr(self._prices.mid(pair, now_ns)))
        return None

    # --- orders ------------------------------------------------------------------------------

    def _order_json(self, order: Order, with_trades: bool) -> dict[str, Any]:
        pair = self._markets.pairs[order.pair]
        return order.to_kraken(pair, with_trades=with_trades)

    def _order_filter(self, params: Mapping[str, str]) -> Callable[[Order], bool]:
        userref = int_param(params.get("userref"), "userref")
        cl_ord_id = params.get("cl_ord_id")
        return lambda o: (
            (userref is None or o.userref == userref)
            and (cl_ord_id is None or o.cl_ord_id == cl_ord_id)
        )

    def open_orders(self, params: Mapping[str, str], now: datetime) -> dict[str, Any]:
        keep, with_trades = self._order_filter(params), _flag(params, "trades")
        orders = sorted(
            (o for o in self._state.open_orders.values() if keep(o)), key=lambda o: -o.seq
        )
        return {"open": {o.txid: self._order_json(o, with_trades) for o in orders}}

    def closed_orders(self, params: Mapping[str, str], now: datetime) -> dict[str, Any]:
        keep, with_trades = self._order_filter(params), _flag(params, "trades")
        which = params.get("closetime", "both")
        if which not in {"open", "close", "both"}:
            raise invalid("closetime")
        start = self._bound(params.get("start"), "start", self._order_time)
        end = self._bound(params.get("end"), "end", self._order_time)

        def in_range(o: Order) -> bool:
            times = {"open": [o.opentm], "close": [o.closetm or o.opentm]}.get(
                which, [o.opentm, o.closetm or o.opentm]
            )
            return any(_within(t, start, end) for t in times)

        closed = [
            o for o in self._state.orders.values() if not o.is_open and keep(o) and in_range(o)
        ]
        closed.sort(key=lambda o: (o.closetm or o.opentm, o.seq), reverse=True)
        page, count = _page(closed, params)
        return {"closed": {o.txid: self._order_json(o, with_trades) for o in page}, "count": count}

    def query_orders(self, params: Mapping[str, str], now: datetime) -> dict[str, Any]:
        txids = _ids(params.get("txid"), "txid")
        keep, with_trades = self._order_filter(params), _flag(params, "trades")
        found = {}
        for txid in txids:
            order = self._state.orders.get(txid)
            if order is None:
                raise SimError(INVALID_ORDER)
            if keep(order):
                found[txid] = self._order_json(order, with_trades)
        return found

    def _order_time(self, txid: str) -> Decimal | None:
        order = self._state.orders.get(txid)
        return order.opentm if order else None

    # --- trades ------------------------------------------------------------------------------

    def _trade_json(self, trade: TradeRecord) -> dict[str, Any]:
        pair = self._markets.pairs[trade.pair]
        return trade.to_kraken(pair)

    def trades_history(self, params: Mapping[str, str], now: datetime) -> dict[str, Any]:
        start = self._bound(params.get("start"), "start", self._trade_time)
        end = self._bound(params.get("end"), "end", self._trade_time)
        trades = [t for t in self._state.trades.values() if _within(t.time, start, end)]
        trades.sort(key=lambda t: (t.time, t.trade_id), reverse=True)
        page, count = _page(trades, params)
        return {"trades": {t.txid: self._trade_json(t) for t in page}, "count": count}

    def query_trades(self, params: Mapping[str, str], now: datetime) -> dict[str, Any]:
        found = {}
        for txid in _ids(params.get("txid"), "txid"):
            trade = self._state.trades.get(txid)
            if trade is None:
                raise invalid("txid")
            found[txid] = self._trade_json(trade)
        return found

    def _trade_time(self, txid: str) -> Decimal | None:
        trade = self._state.trades.get(txid)
        return trade.time if trade else None

    # --- ledgers -----------------------------------------------------------------------------

    def _ledger_json(self, row: LedgerEntry) -> dict[str, Any]:
        return row.to_kraken(self._markets.asset_decimals(row.asset))

    def ledgers(self, params: Mapping[str, str], now: datetime) -> dict[str, Any]:
        assets = {
            self._ledger_asset(name) for name in names(params.get("asset", "all")) if name != "all"
        }
        kind = params.get("type", "all")
        start = self._bound(params.get("start"), "start", self._ledger_time)
        end = self._bound(params.get("end"), "end", self._ledger_time)
        rows = [
            (i, row)
            for i, row in enumerate(self._state.ledger)
            if (not assets or row.asset in assets)
            and kind in {"all", row.type}
            and _within(row.time, start, end)
        ]
        rows.reverse()  # newest first
        page, count = _page(rows, params)
        result: dict[str, Any] = {"ledger": {row.id: self._ledger_json(row) for _, row in page}}
        if not _flag(params, "without_count"):
            result["count"] = count
        return result

    def query_ledgers(self, params: Mapping[str, str], now: datetime) -> dict[str, Any]:
        wanted = _ids(params.get("id"), "id")
        by_id = {row.id: row for row in self._state.ledger if row.id in wanted}
        if len(by_id) != len(set(wanted)):
            raise invalid("id")
        return {lid: self._ledger_json(by_id[lid]) for lid in wanted}

    def _ledger_asset(self, name: str) -> str:
        if name in self._state.balances:
            return name
        return self._markets.asset_key(name)

    def _ledger_time(self, lid: str) -> Decimal | None:
        return next((row.time for row in self._state.ledger if row.id == lid), None)

    # --- arguments ---------------------------------------------------------------------------

    @staticmethod
    def _bound(
        text: str | None, field: str, time_of: Callable[[str], Decimal | None]
    ) -> Decimal | None:
        """``start``/``end``: epoch seconds, or the id of a record whose time is meant."""
        if text is None or text == "":
            return None
        try:
            return Decimal(text)
        except ArithmeticError:
            found = time_of(text)
            if found is None:
                raise invalid(field) from None
            return found


def _within(time: Decimal, start: Decimal | None, end: Decimal | None) -> bool:
    """Kraken's range: ``start`` exclusive, ``end`` inclusive."""
    return (start is None or time > start) and (end is None or time <= end)


def _page(items: list[_T], params: Mapping[str, str]) -> tuple[list[_T], int]:
    ofs = int_param(params.get("ofs"), "ofs") or 0
    if ofs < 0:
        raise invalid("ofs")
    return items[ofs : ofs + PAGE], len(items)


def _flag(params: Mapping[str, str], name: str) -> bool:
    return params.get(name, "").strip().lower() in _TRUE


def _ids(text: str | None, field: str) -> list[str]:
    ids = list(names(text or ""))
    if not ids or len(ids) > PAGE:
        raise invalid(field)
    return ids
