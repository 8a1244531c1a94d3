"""Property: whatever happens, balances equal their ledger sums, never go negative, cover holds."""

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from krakked_core.clock import ManualClock
from krakked_core.sim.errors import SimError
from krakked_core.sim.exchange import Exchange
from krakked_core.sim.settings import SimSettings

from .conftest import START

PAIRS = {"XBTUSD": ("XXBT", "0.001"), "ETHUSD": ("XETH", "0.01"), "XDGUSD": ("XXDG", "100")}

deposit = st.tuples(st.just("deposit"), st.sampled_from(["ZUSD", "XXBT"]), st.integers(1, 5000))
withdraw = st.tuples(st.just("withdraw"), st.sampled_from(["ZUSD", "XXBT"]), st.integers(1, 20000))
market = st.tuples(
    st.just("market"),
    st.sampled_from(sorted(PAIRS)),
    st.sampled_from(["buy", "sell"]),
    st.integers(1, 40),
)
limit = st.tuples(
    st.just("limit"),
    st.sampled_from(sorted(PAIRS)),
    st.sampled_from(["buy", "sell"]),
    st.integers(1, 40),
    st.sampled_from([-30, -10, -3, -1, 0, 1, 3, 10, 30]),  # offset from the last price, in 0.1 %
)
cancel = st.tuples(st.just("cancel"), st.integers(0, 5))
advance = st.tuples(st.just("advance"), st.sampled_from([1, 59, 600, 3600, 4 * 3600, 2 * 86400]))
deadman = st.tuples(st.just("deadman"), st.integers(0, 600))
actions = st.lists(
    st.one_of(limit, limit, market, advance, advance, cancel, deposit, withdraw, deadman),
    min_size=3,
    max_size=16,
)
STARTING = {
    "ZUSD": Decimal(20000),
    "XXBT": Decimal("0.5"),
    "XETH": Decimal(5),
    "XXDG": Decimal(20000),
}


def apply(exchange: Exchange, clock: ManualClock, action: tuple[object, ...]) -> None:
    kind = action[0]
    if kind == "deposit":
        exchange.deposit(str(action[1]), Decimal(int(action[2])) / 100)  # type: ignore[call-overload]
    elif kind == "withdraw":
        exchange.withdraw(str(action[1]), Decimal(int(action[2])) / 100)  # type: ignore[call-overload]
    elif kind in {"market", "limit"}:
        pair, side, lots = str(action[1]), str(action[2]), int(action[3])  # type: ignore[call-overload]
        params = {
            "pair": pair,
            "type": side,
            "ordertype": kind,
            "volume": str(Decimal(PAIRS[pair][1]) * lots),
        }
        if kind == "limit":
            info = exchange.public("AssetPairs", {"pair": pair})
            decimals = next(iter(info.values()))["pair_decimals"]
            last = Decimal(next(iter(exchange.public("Ticker", {"pair": pair}).values()))["c"][0])
            price = last * (1 + Decimal(int(action[4])) / 1000)  # type: ignore[call-overload]
            params["price"] = str(price.quantize(Decimal(1).scaleb(-decimals)))
        exchange.private("AddOrder", params)
    elif kind == "cancel":
        open_orders = sorted(exchange.private("OpenOrders", {})["open"])
        if open_orders:
            txid = open_orders[int(action[1]) % len(open_orders)]  # type: ignore[call-overload]
            exchange.private("CancelOrder", {"txid": txid})
    elif kind == "advance":
        clock.advance(int(action[1]))  # type: ignore[call-overload]
        exchange.step()
    else:
        exchange.private("CancelAllOrdersAfter", {"timeout": str(action[1])})


def ledger_rows(exchange: Exchange) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    while True:
        page = exchange.private("Ledgers", {"ofs": str(len(rows))})
        rows.extend(page["ledger"].values())
        if len(rows) >= page["count"]:
            return rows


def check_books(exchange: Exchange) -> None:
    rows = ledger_rows(exchange)
    sums: dict[str, Decimal] = {}
    for row in reversed(rows):  # oldest first: each row's balance is the running sum
        sums[row["asset"]] = (
            sums.get(row["asset"], Decimal(0)) + Decimal(row["amount"]) - Decimal(row["fee"])
        )
        assert Decimal(row["balance"]) == sums[row["asset"]]
    balances = exchange.private("BalanceEx", {})
    assert {a: Decimal(b["balance"]) for a, b in balances.items()} == sums
    for asset, entry in balances.items():
        assert Decimal(entry["balance"]) >= 0, asset
        assert 0 <= Decimal(entry["hold_trade"]) <= Decimal(entry["balance"]), asset
    state = exchange.state  # the open-order index holds exactly the open orders
    assert state.open_orders == {t: o for t, o in state.orders.items() if o.is_open}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(actions=actions, seed=st.integers(0, 3))
def test_books_when_random_activity_then_balances_equal_ledger_sums(
    actions: list[tuple[object, ...]], seed: int
) -> None:
    clock = ManualClock(START)
    exchange = Exchange(SimSettings(seed=seed, history_days=1, starting_balances=STARTING), clock)
    for action in actions:
        try:
            apply(exchange, clock, action)
        except SimError as err:  # refusals are fine; they must leave the books intact
            assert err.kraken_error.startswith(
                ("EOrder:", "EFunding:", "EGeneral:Invalid arguments")
            )
        check_books(exchange)
