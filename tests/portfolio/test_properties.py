"""Property tests: the books' balances and identity, and independence from how history is split
into syncs (with prices moving between the syncs)."""

import itertools
import tempfile
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from pathlib import Path

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from krakked_core.clock import ManualClock
from krakked_core.config import PortfolioConfig
from krakked_core.db import make_engine, upgrade
from krakked_core.portfolio.ledger import Ledger, event_key
from krakked_core.portfolio.models import CashFlowRecord, TradeEvent
from krakked_core.portfolio.service import PortfolioService
from krakked_core.portfolio.store import PortfolioStore
from tests.fakes.account import FakeAccount, LatestPriceAt, PriceHistory, at, cash_flow, trade_event

ASSETS = ("XBT", "ETH")
CRYPTO = ("XBT", "ETH", "KFEE")  # KFEE: a fee-credit token, the "third asset" of fees
ZERO = Decimal(0)
Q8 = Decimal("1e-8")

usd_prices = st.decimals(min_value="0.5", max_value="90000", places=2)
xbt_prices = st.decimals(min_value="0.001", max_value="0.2", places=5)  # ETHXBT
fractions = st.decimals(min_value="0.01", max_value="1", places=2)
fee_rates = st.decimals(min_value="0", max_value="0.01", places=4)
fee_ins = st.sampled_from(("quote", "base", "third"))
sides = st.sampled_from(("buy", "sell"))
op = st.one_of(
    st.tuples(st.just("deposit"), st.decimals(min_value="1", max_value="100000", places=2)),
    st.tuples(st.just("withdraw"), fractions),
    st.tuples(
        st.just("crypto_in"),
        st.sampled_from(CRYPTO),
        st.decimals(min_value="0.01", max_value="50", places=2),
        st.one_of(st.none(), usd_prices),  # None: no price at its time, the units carry no basis
    ),
    st.tuples(
        st.just("usd"), st.sampled_from(ASSETS), sides, fractions, usd_prices, fee_ins, fee_rates
    ),
    st.tuples(st.just("cross"), sides, fractions, xbt_prices, usd_prices, fee_ins, fee_rates),
)


@dataclass
class Account:
    """What the exchange holds, computed independently of the books."""

    held: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(CRYPTO, ZERO))
    cash: Decimal = ZERO
    events: list[TradeEvent | CashFlowRecord] = field(default_factory=list)


def _cash_op(acct: Account, item: tuple, minute: int) -> None:
    kind = item[0]
    if kind == "deposit":
        acct.events.append(cash_flow("USD", str(item[1]), minute))
        acct.cash += item[1]
    elif kind == "withdraw":
        amount = (acct.cash * item[1]).quantize(Decimal("0.01"), ROUND_DOWN)
        if amount > 0:
            acct.events.append(cash_flow("USD", str(-amount), minute, kind="withdrawal"))
            acct.cash -= amount
    else:
        _, asset, amount, price = item
        value = None if price is None else str(amount * price)
        acct.events.append(cash_flow(asset, str(amount), minute, value_usd=value))
        acct.held[asset] += amount


def _trade_op(acct: Account, item: tuple, minute: int) -> None:
    if item[0] == "usd":
        _, base, side, size, price, fee_in, rate = item
        quote, quote_usd = "USD", Decimal(1)
    else:
        _, side, size, price, quote_usd, fee_in, rate = item
        base, quote = "ETH", "XBT"
    if side == "buy":  # spend a share of what the quote holds (USD: any size, cash may go < 0)
        funds = acct.cash if quote == "USD" else acct.held[quote]
        volume = (size if quote == "USD" else funds * size / price / (1 + rate)).quantize(
            Q8, ROUND_DOWN
        )
    else:
        volume = (acct.held[base] * size / (1 + rate)).quantize(Q8, ROUND_DOWN)
    if volume <= 0:
        return
    fee_asset = {"quote": quote, "base": base, "third": "KFEE"}[fee_in]
    fee = (volume * rate if fee_in == "base" else volume * price * rate).quantize(Q8, ROUND_DOWN)
    if fee_asset == "KFEE" and acct.held["KFEE"] < fee:
        fee_asset = quote
    fee_usd = None if fee_asset != "KFEE" else str(fee * 2)  # KFEE at 2 USD
    acct.events.append(
        trade_event(
            side,
            str(volume),
            str(price),
            minute,
            fee=str(fee),
            fee_asset=fee_asset,
            fee_usd=fee_usd,
            pair=(base, quote),
            quote_usd=str(quote_usd),
        )
    )
    sign = 1 if side == "buy" else -1
    _move(acct, base, sign * volume)
    _move(acct, quote, -sign * volume * price)
    _move(acct, fee_asset, -fee)


def _move(acct: Account, asset: str, amount: Decimal) -> None:
    if asset == "USD":
        acct.cash += amount
    else:
        acct.held[asset] += amount


def _account(ops) -> Account:
    """Turn ops into valid events (crypto sales and fees never exceed what is held)."""
    acct = Account()
    for minute, item in enumerate(ops):
        if item[0] in ("deposit", "withdraw", "crypto_in"):
            _cash_op(acct, item, minute)
        else:
            _trade_op(acct, item, minute)
    return acct


@settings(max_examples=60, deadline=None)
@given(ops=st.lists(op, min_size=1, max_size=30), marks=st.tuples(usd_prices, usd_prices))
def test_books_when_random_history_then_balances_exact_and_identity_holds(ops, marks) -> None:
    acct = _account(ops)
    mark = {"XBT": marks[0], "ETH": marks[1], "KFEE": Decimal(2)}
    ledger = Ledger()
    ledger.apply_all(acct.events)

    assert ledger.unexplained == {}
    assert ledger.cash == acct.cash
    assert {a: q for a, q in ledger.balances.items() if q and a != "USD"} == {
        a: q for a, q in acct.held.items() if q
    }
    assert ledger.balances.get("USD", ZERO) == acct.cash
    equity = ledger.cash + sum(acct.held[a] * mark[a] for a in CRYPTO)
    unrealized = sum((mark[a] * b.based - b.cost for a, b in ledger.books.items()), ZERO)
    unbased_value = sum((mark[a] * b.unbased for a, b in ledger.books.items()), ZERO)
    excluded = sum(ledger.realized_excluded.values(), ZERO)
    assert equity == (
        ledger.realized_total + excluded + unrealized + ledger.net_cash_flow_usd + unbased_value
    )


@settings(max_examples=60, deadline=None)
@given(ops=st.lists(op, min_size=1, max_size=30), cuts=st.lists(st.integers(0, 30), max_size=5))
def test_realized_pnl_when_history_split_into_chunks_then_same(ops, cuts) -> None:
    events = sorted(_account(ops).events, key=event_key)
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


def _replay_on(account: FakeAccount, events: list) -> None:
    """Make the events happen on the (fake) exchange, ledger rows and all."""
    for e in events:
        if isinstance(e, CashFlowRecord):
            account.deposit(e.asset, str(e.amount), e.time, kind=e.type)
            continue
        fee_in = {e.base: "base", e.quote: "quote"}.get(e.fee_asset, e.fee_asset)
        account.trade(
            e.side,
            str(e.volume),
            str(e.price),
            e.time,
            fee=str(e.fee),
            fee_in=fee_in,
            pair=(e.base, e.quote),
        )


@settings(max_examples=8, deadline=None)
@given(
    ops=st.lists(op, min_size=2, max_size=20),
    cut=st.integers(1, 19),
    moves=st.lists(usd_prices, min_size=4, max_size=4),
)
def test_service_when_split_into_two_syncs_with_prices_moving_then_realized_same(
    ops, cut, moves
) -> None:
    events = sorted(_account(ops).events, key=event_key)
    assume(len(events) >= 2)
    cut = min(cut, len(events) - 1)
    end = at(len(ops) + 10)
    # Prices move every minute, and again after the last event (KFEE keeps its fixed value).
    history = PriceHistory()
    for minute in range(len(ops) + 11):
        history.set("XBTUSD", moves[minute % 2] + minute, at(minute))
        history.set("ETHUSD", moves[2 + minute % 2] + minute, at(minute))
    accounts = (FakeAccount(), FakeAccount())
    for account in accounts:
        account.deposit("USD", "100000000", at(-1))
    with tempfile.TemporaryDirectory() as tmp:
        results = []
        for name, account in zip(("one", "two"), accounts, strict=True):
            engine = make_engine(f"sqlite:///{Path(tmp) / name}.db")
            upgrade(engine)
            clock = ManualClock(events[cut - 1].time if name == "two" else end)
            service = PortfolioService(
                config=PortfolioConfig(),
                store=PortfolioStore(engine),
                account=account,
                prices=LatestPriceAt(history, clock),
                clock=clock,
                history=history,
            )
            _replay_on(account, events[:cut])
            if name == "two":
                service.sync()  # synced as it happened, at that moment's prices
                clock.advance((end - clock.now()).total_seconds())
            _replay_on(account, events[cut:])
            service.sync()
            results.append(service.get_equity())
            engine.dispose()
    one, two = results
    assert one.realized_pnl_base_total == two.realized_pnl_base_total
    assert one.realized_excluded == two.realized_excluded
    assert one.unrealized_pnl_base_total == two.unrealized_pnl_base_total
    assert not one.drift_flag and not two.drift_flag
