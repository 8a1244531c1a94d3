"""AddOrder's parameters, checked the way Kraken checks them, into one typed request."""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from krakked_core.sim.errors import INVALID_PRICE, TICK_SIZE, SimError, invalid
from krakked_core.sim.markets import Markets, Pair
from krakked_core.sim.records import Order

_FLAGS = {"post", "fcib", "fciq", "nompp"}
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_HEX32 = re.compile(r"^[0-9a-fA-F]{32}$")
_INT32 = (-(2**31), 2**31 - 1)


@dataclass(frozen=True)
class OrderRequest:
    pair: Pair
    side: str
    ordertype: str
    volume: Decimal
    price: Decimal | None
    oflags: tuple[str, ...]
    timeinforce: str
    userref: int
    cl_ord_id: str | None
    validate: bool
    deadline: datetime | None = None

    @property
    def post_only(self) -> bool:
        return "post" in self.oflags

    def to_order(self, *, txid: str = "", seq: int = 0, opentm: Decimal = Decimal(0)) -> Order:
        """The order this request places (txid/seq/time assigned by the caller)."""
        return Order(
            txid=txid,
            seq=seq,
            pair=self.pair.key,
            side=self.side,
            ordertype=self.ordertype,
            volume=self.volume,
            price=self.price,
            oflags=",".join(self.oflags),
            timeinforce=self.timeinforce,
            userref=self.userref,
            cl_ord_id=self.cl_ord_id,
            opentm=opentm,
        )


def parse_add_order(markets: Markets, params: Mapping[str, str]) -> OrderRequest:
    """Check AddOrder's arguments; raise Kraken's error for the first that is wrong."""
    if not params.get("pair"):
        raise invalid("pair")
    pair = markets.get(params["pair"])
    side = params.get("type", "")
    if side not in {"buy", "sell"}:
        raise invalid("type")
    ordertype = params.get("ordertype", "")
    if ordertype not in {"market", "limit"}:  # the sandbox has no stop or take-profit orders
        raise invalid("ordertype")
    if params.get("leverage", "none") not in {"none", "", "1"}:
        raise invalid("leverage")  # spot only
    userref, cl_ord_id = _tags(params)
    oflags = _oflags(params.get("oflags", ""), ordertype)
    timeinforce = params.get("timeinforce", "GTC").upper() or "GTC"
    if timeinforce not in {"GTC", "IOC"} or (timeinforce == "IOC" and "post" in oflags):
        raise invalid("timeinforce")
    return OrderRequest(
        pair=pair,
        side=side,
        ordertype=ordertype,
        volume=_volume(pair, params.get("volume")),
        price=_price(pair, params.get("price")) if ordertype == "limit" else None,
        oflags=oflags,
        timeinforce=timeinforce,
        userref=userref,
        cl_ord_id=cl_ord_id,
        # Kraken only validates whenever the key is there, whatever its value: several client
        # libraries sent ``validate=false`` for real orders and never placed one.
        validate="validate" in params,
        deadline=_deadline(params.get("deadline")),
    )


def _deadline(text: str | None) -> datetime | None:
    """``deadline``: an RFC3339 time with its zone (``2026-03-01T12:00:45Z``)."""
    if text is None:
        return None
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise invalid("deadline") from None
    if when.tzinfo is None:
        raise invalid("deadline")
    return when


def _decimal(text: str | None, field: str) -> Decimal:
    if text is None or not text.strip():
        raise invalid(field)
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise invalid(field) from None
    if not value.is_finite():
        raise invalid(field)
    return value


def _volume(pair: Pair, text: str | None) -> Decimal:
    volume = _decimal(text, "volume")
    if volume <= 0 or _decimals(volume) > pair.lot_decimals:
        raise invalid("volume")
    return volume


def _price(pair: Pair, text: str | None) -> Decimal:
    if (text or "").strip()[:1] in {"+", "-", "#"} or (text or "").endswith("%"):
        raise SimError(INVALID_PRICE)  # relative prices are not supported by the sandbox
    price = _decimal(text, "price")
    if price <= 0 or _decimals(price) > pair.pair_decimals:
        raise SimError(INVALID_PRICE)
    if price % pair.tick != 0:
        raise SimError(TICK_SIZE)
    return price


def _decimals(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _oflags(text: str, ordertype: str) -> tuple[str, ...]:
    flags = tuple(flag.strip() for flag in text.split(",") if flag.strip())
    if any(flag not in _FLAGS for flag in flags):
        raise invalid("oflags")  # viqc (volume in quote) is not supported by the sandbox
    if "post" in flags and ordertype != "limit":
        raise invalid("oflags")
    return flags


def _tags(params: Mapping[str, str]) -> tuple[int, str | None]:
    """``userref`` or ``cl_ord_id``: never both."""
    userref_text, cl_ord_id = params.get("userref"), params.get("cl_ord_id")
    if userref_text is not None and cl_ord_id is not None:
        raise invalid("cl_ord_id")
    userref = 0
    if userref_text is not None:
        try:
            userref = int(userref_text)
        except ValueError:
            raise invalid("userref") from None
        if not _INT32[0] <= userref <= _INT32[1]:
            raise invalid("userref")
    if cl_ord_id is not None and not valid_cl_ord_id(cl_ord_id):
        raise invalid("cl_ord_id")
    return userref, cl_ord_id


def valid_cl_ord_id(text: str) -> bool:
    """A long UUID, a 32-hex UUID, or free text of at most 18 printable characters."""
    if _UUID.match(text) or _HEX32.match(text):
        return True
    return 0 < len(text) <= 18 and text.isprintable()
