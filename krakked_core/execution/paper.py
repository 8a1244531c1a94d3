"""The paper venue: an ``ExecutionGateway`` that fills against the sidecar's LIVE prices.

Market orders fill at once at the fill model's price on the ticker's last trade. Limit orders
rest and are checked on every gateway call (``refresh``): a buy fills at its limit once the ask
is at or below it, a sell once the bid is at or above it, the whole volume at once (no partial
fills, no queue position: simple and stated). A stale or missing ticker raises, so nothing ever
fills on an old price. Funds are checked when placed and again when a resting order fills (no
reservation: a limit that finds the funds gone is canceled, ``EOrder:Insufficient funds``).
"""

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy import Connection, Engine

from krakked_core.clock import Clock
from krakked_core.config import ExecutionConfig
from krakked_core.db.paper_tables import paper_orders
from krakked_core.errors import OrderError, RejectedError
from krakked_core.execution.fill_model import FillModel
from krakked_core.execution.paper_account import PaperAccount, PaperFill, order_from_row
from krakked_core.model.account import CancelAck, DeadMansSwitch, ExchangeOrder, OrderAck
from krakked_core.model.orders import ExecutionMode, OrderSubmission
from krakked_core.ports import LiveMarketData

Legs = Callable[[str], tuple[str, str]]  # canonical pair → (base, quote)


class PaperExecutionGateway:
    def __init__(
        self,
        *,
        account: PaperAccount,
        engine: Engine,
        clock: Clock,
        live: LiveMarketData,
        legs: Legs,
        fill_model: FillModel,
    ) -> None:
        self._account, self._engine, self._clock = account, engine, clock
        self._live, self._legs, self._model = live, legs, fill_model

    @property
    def mode(self) -> ExecutionMode:
        return "paper"

    def place(self, order: OrderSubmission) -> OrderAck:
        now = self._clock.now()
        if now > order.deadline:
            raise OrderError("EOrder:Deadline elapsed", kraken_errors=("EOrder:Deadline elapsed",))
        if order.order_type == "limit" and order.price is None:
            raise RejectedError("EGeneral:Invalid arguments:price")
        base, quote = self._legs(order.pair)
        ticker = self._live.latest_ticker(order.pair)  # stale: raises, nothing placed
        reference = ticker.last if order.price is None else order.price
        fill = self._fill(order, (base, quote), reference)
        description = f"{order.side} {order.volume} {order.pair} @ {order.order_type}"
        self.refresh()
        with self._engine.begin() as conn:
            self._account.check_funds(conn, fill)
            if order.validate_only:
                return OrderAck(txids=(), description=description)
            txid = "P" + uuid.uuid4().hex[:16].upper()
            conn.execute(
                paper_orders.insert().values(
                    txid=txid,
                    cl_ord_id=order.cl_ord_id,
                    pair=order.pair,
                    side=order.side,
                    order_type=order.order_type,
                    status="open",
                    volume=str(order.volume),
                    limit_price=None if order.price is None else str(order.price),
                    filled_volume="0",
                    cost="0",
                    fee="0",
                    opened_at=now,
                )
            )
            if order.order_type == "market":
                fill = self._fill(order, (base, quote), ticker.last, txid)
                self._close_filled(conn, txid, fill)
        if order.order_type == "limit":
            self.refresh()
        return OrderAck(txids=(txid,), description=description)

    def _fill(
        self, order: OrderSubmission, legs: tuple[str, str], ref: Decimal, txid: str = ""
    ) -> PaperFill:
        base, quote = legs
        if order.order_type == "market":
            sim = self._model.fill(order.side, ref, order.volume)
            price, cost, fee = sim.price, sim.cost, sim.fee
        else:  # a limit fills at its own price, never worse
            price = ref
            cost = price * order.volume
            fee = self._model.fee(cost)
        return PaperFill(txid, order.pair, base, quote, order.side, price, order.volume, cost, fee)

    def _close_filled(self, conn: Connection, txid: str, fill: PaperFill) -> None:
        self._account.book(conn, fill, trade_id="T" + txid[1:])
        conn.execute(
            paper_orders.update()
            .where(paper_orders.c.txid == txid)
            .values(
                status="closed",
                filled_volume=str(fill.volume),
                cost=str(fill.cost),
                fee=str(fill.fee),
                average_price=str(fill.price),
                closed_at=self._clock.now(),
            )
        )

    def refresh(self) -> None:
        """Fill every resting limit order the live price now crosses."""
        with self._engine.begin() as conn:
            rows = (
                conn.execute(sa.select(paper_orders).where(paper_orders.c.status == "open"))
                .mappings()
                .all()
            )
        for row in rows:
            order = order_from_row(row)
            ticker = self._live.latest_ticker(order.pair)
            limit = order.limit_price
            assert limit is not None
            crossed = ticker.ask <= limit if order.side == "buy" else ticker.bid >= limit
            if not crossed:
                continue
            base, quote = self._legs(order.pair)
            cost = limit * order.volume
            fill = PaperFill(
                order.txid,
                order.pair,
                base,
                quote,
                order.side,
                limit,
                order.volume,
                cost,
                self._model.fee(cost),
            )
            try:
                with self._engine.begin() as conn:
                    self._close_filled(conn, order.txid, fill)
            except OrderError as exc:
                self._close(order.txid, "canceled", str(exc))

    def _close(self, txid: str, status: str, reason: str) -> int:
        with self._engine.begin() as conn:
            result = conn.execute(
                paper_orders.update()
                .where(paper_orders.c.txid == txid, paper_orders.c.status == "open")
                .values(status=status, reason=reason, closed_at=self._clock.now())
            )
        return result.rowcount

    def cancel(
        self, *, kraken_order_id: str | None = None, cl_ord_id: str | None = None
    ) -> CancelAck:
        if (kraken_order_id is None) == (cl_ord_id is None):
            raise ValueError("cancel by exactly one of kraken_order_id and cl_ord_id")
        self.refresh()
        matching = [
            o
            for o in self.open_orders(cl_ord_id=cl_ord_id)
            if kraken_order_id is None or o.txid == kraken_order_id
        ]
        if not matching:
            raise OrderError("EOrder:Unknown order", kraken_errors=("EOrder:Unknown order",))
        return CancelAck(
            count=sum(self._close(o.txid, "canceled", "User requested") for o in matching)
        )

    def cancel_all(self) -> CancelAck:
        self.refresh()
        return CancelAck(
            count=sum(self._close(o.txid, "canceled", "User requested") for o in self.open_orders())
        )

    def _orders(self, *where: sa.ColumnElement[bool]) -> list[ExchangeOrder]:
        with self._engine.begin() as conn:
            rows = (
                conn.execute(
                    sa.select(paper_orders).where(*where).order_by(paper_orders.c.seq.desc())
                )
                .mappings()
                .all()
            )
        return [order_from_row(r) for r in rows]

    def open_orders(self, *, cl_ord_id: str | None = None) -> list[ExchangeOrder]:
        where = [paper_orders.c.status == "open"]
        if cl_ord_id is not None:
            where.append(paper_orders.c.cl_ord_id == cl_ord_id)
        return self._orders(*where)

    def closed_orders(
        self, *, start: datetime, cl_ord_id: str | None = None
    ) -> list[ExchangeOrder]:
        self.refresh()
        where = [paper_orders.c.status != "open"]
        if cl_ord_id is not None:
            where.append(paper_orders.c.cl_ord_id == cl_ord_id)
        else:
            where.append(paper_orders.c.closed_at > start)
        return self._orders(*where)

    def arm_dead_man_switch(self, timeout_seconds: int) -> DeadMansSwitch:
        """Nothing rests anywhere but here, and the app itself runs the paper book: a no-op."""
        now = self._clock.now()
        return DeadMansSwitch(
            server_time=now,
            trigger_time=now + timedelta(seconds=timeout_seconds) if timeout_seconds else None,
        )


def build_paper_venue(
    config: ExecutionConfig, engine: Engine, clock: Clock, live: LiveMarketData, legs: Legs
) -> tuple[PaperExecutionGateway, PaperAccount]:
    """The paper mode's ``ExecutionGateway`` and ``AccountSource``, over one paper account."""
    account = PaperAccount(engine, clock, config.paper_starting_balances)
    model = FillModel(
        slippage_bps=config.paper_slippage_bps, taker_fee_pct=config.paper_taker_fee_pct
    )
    gateway = PaperExecutionGateway(
        account=account, engine=engine, clock=clock, live=live, legs=legs, fill_model=model
    )
    return gateway, account
