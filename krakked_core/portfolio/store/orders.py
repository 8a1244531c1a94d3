"""``OrderRecords``: the orders behind trades: Kraken's ClosedOrders as ingested, and the OMS's
own order records (``orders``), read together for each trade's strategy tag.
"""

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy import Engine

from krakked_core.db.portfolio_tables import orders, portfolio_exchange_orders
from krakked_core.model.account import ExchangeOrder, Side
from krakked_core.portfolio.attribution import OrderTag
from krakked_core.portfolio.store.rows import insert_new


class OrderRecords:
    """Reads and writes of the order tables."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def append_exchange_orders(self, items: Sequence[ExchangeOrder]) -> list[str]:
        rows = [
            {
                "txid": o.txid,
                "pair": o.pair,
                "side": o.side,
                "status": o.status,
                "userref": o.userref,
                "cl_ord_id": o.cl_ord_id,
                "opened_at": o.opened_at,
                "closed_at": o.closed_at,
            }
            for o in items
        ]
        return insert_new(self._engine, portfolio_exchange_orders, "txid", rows)

    def order_tags(self) -> dict[str, OrderTag]:
        """Kraken order txid → tag, from ClosedOrders and from the OMS's own records."""
        eo, o = portfolio_exchange_orders, orders
        with self._engine.connect() as conn:
            tags = {
                r.kraken_txid: OrderTag(r.cl_ord_id, r.userref)
                for r in conn.execute(sa.select(o.c.kraken_txid, o.c.cl_ord_id, o.c.userref))
                if r.kraken_txid
            }
            for r in conn.execute(sa.select(eo.c.txid, eo.c.cl_ord_id, eo.c.userref)):
                if r.cl_ord_id or r.userref is not None or r.txid not in tags:
                    tags[r.txid] = OrderTag(r.cl_ord_id, r.userref)
        return tags

    def strategies_by_cl_ord_id(self) -> dict[str, str]:
        with self._engine.connect() as conn:
            query = sa.select(orders.c.cl_ord_id, orders.c.strategy_id)
            return {r.cl_ord_id: r.strategy_id for r in conn.execute(query) if r.cl_ord_id}

    def record_order(
        self,
        *,
        local_id: str,
        strategy_id: str,
        pair: str,
        side: Side,
        order_type: str,
        volume: Decimal,
        status: str,
        created_at: datetime,
        cl_ord_id: str | None = None,
        userref: int | None = None,
        kraken_txid: str | None = None,
        price: Decimal | None = None,
    ) -> None:
        """Insert one local order record (the OMS's table; used here by tests and tools)."""
        with self._engine.begin() as conn:
            conn.execute(
                orders.insert().values(
                    id=local_id,
                    cl_ord_id=cl_ord_id,
                    userref=userref,
                    strategy_id=strategy_id,
                    kraken_txid=kraken_txid,
                    pair=pair,
                    side=side,
                    order_type=order_type,
                    volume=volume,
                    price=price,
                    status=status,
                    created_at=created_at,
                    updated_at=created_at,
                )
            )
