"""What the exchange remembers: orders, trades and ledger rows, in Kraken's shapes.

Each record turns itself into Kraken's JSON (numbers as strings) and into a plain JSON dict for
the state file and back.
"""

from dataclasses import asdict, dataclass, field, fields
from decimal import Decimal
from typing import Any, TypeVar

from krakked_core.sim.markets import Pair

ZERO = Decimal(0)
# Kraken's spot trades all carry this position id.
SPOT_POSTXID = "TKH2SE-M7IF5-CFI7LT"


def fmt(value: Decimal, decimals: int) -> str:
    """``value`` with exactly ``decimals`` places, never in exponent notation."""
    return format(value.quantize(Decimal(1).scaleb(-decimals)), "f")


def epoch(value: Decimal) -> float:
    """Kraken's epoch-seconds float (four decimals)."""
    return float(value)


@dataclass
class Order:
    """One order and what has happened to it."""

    txid: str
    seq: int  # placement order: ties in price priority go to the older order
    pair: str  # pair key
    side: str  # buy | sell
    ordertype: str  # market | limit
    volume: Decimal
    price: Decimal | None  # the limit price
    oflags: str
    timeinforce: str
    userref: int
    cl_ord_id: str | None
    opentm: Decimal
    status: str = "open"  # pending | open | closed | canceled | expired
    reason: str | None = None
    closetm: Decimal | None = None
    vol_exec: Decimal = ZERO
    cost: Decimal = ZERO  # charged, to the pair's charge decimals (Markets.charge_decimals)
    fee: Decimal = ZERO
    cost_exact: Decimal = ZERO  # unrounded sums: each fill charges the change of their rounding
    fee_exact: Decimal = ZERO
    reserved: Decimal = ZERO  # quote held when a buy was placed (cost + worst fee)
    charged: Decimal = ZERO  # quote paid so far by a buy (cost + fee)
    trades: list[str] = field(default_factory=list)

    @property
    def is_open(self) -> bool:
        return self.status in {"open", "pending"}

    @property
    def remaining(self) -> Decimal:
        return self.volume - self.vol_exec

    def hold(self) -> tuple[str, Decimal]:
        """``("quote"|"base", amount)`` this order keeps from being spent while it is open."""
        if not self.is_open:
            return ("base", ZERO)
        if self.side == "buy":
            return ("quote", max(ZERO, self.reserved - self.charged))
        return ("base", self.remaining)

    def descr(self, pair: Pair) -> dict[str, str]:
        price = pair.format_price(self.price) if self.price is not None else "0"
        where = f"limit {price}" if self.ordertype == "limit" else "market"
        return {
            "pair": pair.altname,
            "type": self.side,
            "ordertype": self.ordertype,
            "price": price,
            "price2": "0",
            "leverage": "none",
            "order": f"{self.side} {fmt(self.volume, pair.lot_decimals)} {pair.altname} @ {where}",
            "close": "",
        }

    def to_kraken(self, pair: Pair, *, with_trades: bool) -> dict[str, Any]:
        average = self.cost / self.vol_exec if self.vol_exec else (self.price or ZERO)
        out: dict[str, Any] = {
            "refid": None,
            "userref": self.userref,
            "status": self.status,
            "opentm": epoch(self.opentm),
            "starttm": 0,
            "expiretm": 0,
            "descr": self.descr(pair),
            "vol": fmt(self.volume, pair.lot_decimals),
            "vol_exec": fmt(self.vol_exec, pair.lot_decimals),
            "cost": fmt(self.cost, pair.cost_decimals),
            "fee": fmt(self.fee, pair.cost_decimals),
            "price": pair.format_price(average),
            "stopprice": "0.00000",
            "limitprice": "0.00000",
            "misc": "",
            "oflags": self.oflags,
        }
        if self.cl_ord_id is not None:
            out["cl_ord_id"] = self.cl_ord_id
        if not self.is_open:
            out["reason"] = self.reason
            out["closetm"] = epoch(self.closetm or self.opentm)
        if with_trades and self.trades:
            out["trades"] = list(self.trades)
        return out


@dataclass
class TradeRecord:
    """One fill of one of the account's orders."""

    txid: str
    trade_id: int
    ordertxid: str
    pair: str  # pair key
    time: Decimal
    side: str
    ordertype: str
    price: Decimal
    vol: Decimal
    cost: Decimal  # charged, to the pair's charge decimals (Markets.charge_decimals)
    fee: Decimal
    maker: bool
    ledgers: list[str] = field(default_factory=list)

    def to_kraken(self, pair: Pair) -> dict[str, Any]:
        return {
            "ordertxid": self.ordertxid,
            "postxid": SPOT_POSTXID,
            "pair": self.pair,
            "time": epoch(self.time),
            "type": self.side,
            "ordertype": self.ordertype,
            "price": pair.format_price(self.price),
            "cost": fmt(self.cost, pair.cost_decimals),
            "fee": fmt(self.fee, pair.cost_decimals),
            "vol": fmt(self.vol, pair.lot_decimals),
            "margin": fmt(ZERO, pair.cost_decimals),
            "misc": "",
            "trade_id": self.trade_id,
            "maker": self.maker,
            "ledgers": list(self.ledgers),
        }


@dataclass
class LedgerEntry:
    """One movement of one asset; ``balance`` is the asset's balance after it."""

    id: str
    refid: str
    time: Decimal
    type: str
    subtype: str
    asset: str
    amount: Decimal
    fee: Decimal
    balance: Decimal

    def to_kraken(self, decimals: int) -> dict[str, Any]:
        return {
            "refid": self.refid,
            "time": epoch(self.time),
            "type": self.type,
            "subtype": self.subtype,
            "aclass": "currency",
            "asset": self.asset,
            "amount": fmt(self.amount, decimals),
            "fee": fmt(self.fee, decimals),
            "balance": fmt(self.balance, decimals),
        }


Record = Order | TradeRecord | LedgerEntry
R = TypeVar("R", Order, TradeRecord, LedgerEntry)


def to_json(record: Record) -> dict[str, Any]:
    """A plain JSON dict (Decimals as strings) for the state file."""
    return {
        key: str(value) if isinstance(value, Decimal) else value
        for key, value in asdict(record).items()
    }


def from_json(cls: type[R], data: dict[str, Any]) -> R:
    """Rebuild a record written by ``to_json``."""
    values: dict[str, Any] = {}
    for spec in fields(cls):
        if spec.name not in data:
            continue
        value = data[spec.name]
        if "Decimal" in str(spec.type) and isinstance(value, str):
            value = Decimal(value)
        values[spec.name] = value
    return cls(**values)
