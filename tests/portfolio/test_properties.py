"""Property tests: the books' identity, and independence from how history is split into syncs."""

import itertools
import tempfile
from decimal import Decimal
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from krakked_core.clock import ManualClock
from krakked_core.config import PortfolioConfig
from krakked_core.db import make_engine, upgrade
from krakked_core.portfolio.ledger import Ledger, event_key
from krakked_core.portfolio.service import PortfolioService
from krakked_core.portfolio.store import PortfolioStore
from tests.portfolio.fakes import FakeAccount, FixedPrices, at, cash_flow, trade_event

ASSETS = ("XBT", "ETH")
prices = st.decimals(min_value="0.5", max_value="90000", places=2)
fractions = st.decimals(min_value="0.01", max_value="1", places=2)
op = st.one_of(
    st.tuples(st.just("deposit"), st.decimals(min_value="1", max_value="100000", places=2)),
    st.tuples(st.just("withdraw"), fractions),
    st.tuples(
        st.just("buy"),
        st.sampled_from(ASSETS),
        st.decimals(min_value="0.0001", max_value="5", places=4),
        prices,
        st.sampled_from(("quote", "base")),
        st.decimals(min_value="0", max_value="0.01", places=4),
    ),
    st.tuples(
        st.just("sell"),
        st.sampled_from(ASSETS),
        fractions,
        prices,
        st.sampled_from(("quote", "base")),
        st.decimals(min_value="0", max_value="0.01", places=4),
    ),
)


def _events(ops):
    """Turn ops into valid events (sells never exceed holdings, fees included)."""
    held = {a: Decimal(0) for a in ASSETS}
    cash = Decimal(0)
    events = []
    for minute, item in enumerate(ops):
        kind = item[0]
        if kind == "deposit":
            events.append(cash_flow("USD", str(item[1]), minute))
            cash += item[1]
            continue
        if kind == "withdraw":
            amount = (cash * item[1]).quantize(Decimal("0.01")) if cash > 0 else Decimal(0)
            if amount > 0:
                events.append(cash_flow("USD", str(-amount), minute, kind="withdrawal"))
                cash -= amount
            continue
        _, asset, size, price, fee_in, fee_rate = item
        volume = (
            size
            if kind == "buy"
            else (held[asset] * size / (1 + fee_rate)).quantize(
                Decimal("1e-8"), rounding="ROUND_DOWN"
            )
        )
        if volume <= 0:
            continue
        fee = (volume * fee_rate if fee_in == "base" else volume * price * fee_rate).quantize(
            Decimal("1e-8")
        )
        fee_asset = asset if fee_in == "base" else "USD"
        events.append(
            trade_event(
                kind,
                str(volume),
                str(price),
                minute,
                fee=str(fee),
                fee_asset=fee_asset,
                pair=(asset, "USD"),
            )
        )
        sign = 1 if kind == "buy" else -1
        held[asset] += sign * volume - (fee if fee_in == "base" else 0)
        cash += -sign * volume * price - (fee if fee_in == "quote" else 0)
    return events


@settings(max_examples=60, deadline=None)
@given(ops=st.lists(op, min_size=1, max_size=30), marks=st.tuples(prices, prices))
def test_equity_change_equals_realized_plus_unrealized_plus_cash_flows(ops, marks) -> None:
    mark = dict(zip(ASSETS, marks, strict=True))
    ledger = Ledger()
    ledger.apply_all(_events(ops))

    equity = ledger.cash + sum(ledger.balances.get(a, 0) * mark[a] for a in ASSETS)
    unrealized = sum((mark[a] * b.based - b.cost for a, b in ledger.books.items()), Decimal(0))

    assert ledger.unexplained == {}
    assert equity == ledger.realized_total + unrealized + ledger.net_cash_flow_usd


@settings(max_examples=60, deadline=None)
@given(ops=st.lists(op, min_size=1, max_size=30), cuts=st.lists(st.integers(0, 30), max_size=5))
def test_realized_pnl_when_history_split_into_chunks_then_same(ops, cuts) -> None:
    events = sorted(_events(ops), key=event_key)
    whole = Ledger()
    whole.apply_all(events)

    state = Ledger().to_state()
    bounds = [0, *sorted(c for c in cuts if c < len(events)), len(events)]
    for start, end in itertools.pairwise(bounds):
        ledger = Ledger.from_state(state)  # what the service stores between syncs
        ledger.apply_all(events[start:end])
        state = ledger.to_state()

    assert Ledger.from_state(state).realized_total == whole.realized_total
    assert state == whole.to_state()


@settings(max_examples=8, deadline=None)
@given(ops=st.lists(op, min_size=2, max_size=25), cut=st.integers(1, 24))
def test_service_when_history_split_into_two_syncs_then_realized_pnl_same(ops, cut) -> None:
    events = [e for e in _events(ops) if hasattr(e, "trade_id")]
    first_account, split_account = FakeAccount(), FakeAccount()
    first_account.deposit("USD", "100000000", at(-1))
    split_account.deposit("USD", "100000000", at(-1))
    for account in (first_account, split_account):
        for e in events[:cut]:
            account.trade(
                e.side,
                str(e.volume),
                str(e.price),
                e.time,
                fee=str(e.fee),
                fee_in="base" if e.fee_asset == e.base else "quote",
                pair=(e.base, e.quote),
            )
    with tempfile.TemporaryDirectory() as tmp:
        results = []
        for name, account, split in (("one", first_account, False), ("two", split_account, True)):
            engine = make_engine(f"sqlite:///{Path(tmp) / name}.db")
            upgrade(engine)
            service = PortfolioService(
                config=PortfolioConfig(),
                store=PortfolioStore(engine),
                account=account,
                prices=FixedPrices({"XBTUSD": "100", "ETHUSD": "10"}),
                clock=ManualClock(at(100_000)),
            )
            if split:
                service.sync()
            for e in events[cut:]:
                account.trade(
                    e.side,
                    str(e.volume),
                    str(e.price),
                    e.time,
                    fee=str(e.fee),
                    fee_in="base" if e.fee_asset == e.base else "quote",
                    pair=(e.base, e.quote),
                )
            service.sync()
            results.append(service.get_equity())
            engine.dispose()
    one, two = results
    assert one.realized_pnl_base_total == two.realized_pnl_base_total
    assert one.unrealized_pnl_base_total == two.unrealized_pnl_base_total
    assert not one.drift_flag and not two.drift_flag
