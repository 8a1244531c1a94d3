"""Properties of the risk engine over random worlds (hypothesis).

- No approved action breaks a cap: per-trade risk, per asset, per strategy, portfolio risk,
  open positions (each checked only where the plan adds to it: a cap already exceeded by what is
  held is not the plan's doing, but the plan must not add to it).
- The plan does not depend on the order intents arrive in.
- With the kill switch on, no approved action opens or increases.
"""

from collections import defaultdict
from dataclasses import replace
from decimal import Decimal

from hypothesis import event, given, settings
from hypothesis import strategies as st

from krakked_core.model.decisions import OPENING_ACTIONS, RiskAdjustedAction
from krakked_core.risk.context import PositionExposure, RiskContext
from tests.fakes.candles import T0, flat_bars
from tests.fakes.risk import context, engine, intent, position

PRICES = {"XBTUSD": "20000", "ETHUSD": "2000", "SOLUSD": "100", "ADAUSD": "0.5"}
ATR_SHARE = Decimal("0.025")  # each pair's ATR is 2.5 % of its price
STRATEGIES = ("a", "b")
MULTIPLE = Decimal(2)


def _world(held: list[tuple[str, str, str]], equity: int) -> RiskContext:
    positions = tuple(position(pair, size, PRICES[pair], owner) for pair, size, owner in held)
    ctx = context(equity=str(equity), prices=PRICES, positions=positions)
    bars = {
        pair: flat_bars(21, close=float(p), true_range=float(Decimal(p) * ATR_SHARE), end=T0)
        for pair, p in PRICES.items()
    }
    return replace(ctx, bars=bars)


held_positions = st.lists(
    st.tuples(
        st.sampled_from(sorted(PRICES)),
        st.sampled_from(["0.01", "0.5", "1", "3", "40", "2000"]),
        st.sampled_from(["a", "b", "manual"]),
    ),
    max_size=4,
    unique_by=lambda held: held[0],
)
pair_owners = st.fixed_dictionaries({pair: st.sampled_from(STRATEGIES) for pair in PRICES})
intent_specs = st.lists(
    st.tuples(
        st.sampled_from(sorted(PRICES)),
        st.sampled_from(["enter", "increase", "exit", "reduce", "hold"]),
        st.one_of(st.none(), st.sampled_from(["50", "1000", "9000", "40000"])),
        st.sampled_from([0.2, 0.5, 0.9]),
    ),
    max_size=8,
)
caps = st.fixed_dictionaries(
    {
        "max_risk_per_trade_pct": st.sampled_from([0.5, 1.0, 3.0]),
        "max_portfolio_risk_pct": st.sampled_from([1.0, 5.0, 20.0]),
        "max_per_asset_pct": st.sampled_from([5.0, 20.0, 60.0]),
        "max_open_positions": st.integers(0, 4),
        "max_per_strategy_pct": st.sampled_from([{}, {"a": 10.0}, {"a": 30.0, "b": 15.0}]),
        "include_manual_positions": st.booleans(),
    }
)


def _intents(specs, owners):
    return [
        intent(pair, owners[pair], kind, desired=desired, confidence=confidence)
        for pair, kind, desired, confidence in specs
    ]


def _unit_risk(pair: str) -> Decimal:
    price = Decimal(PRICES[pair])
    return min(price * ATR_SHARE * MULTIPLE, price)


def _pct(equity: int, value: float) -> Decimal:
    return Decimal(equity) * Decimal(str(value)) / 100


def _added(actions: list[RiskAdjustedAction]) -> dict[str, Decimal]:
    return {
        a.pair: a.target_base_size - a.current_base_size
        for a in actions
        if a.action_type in OPENING_ACTIONS and not a.blocked
    }


def _check_caps(ctx: RiskContext, actions, cap: dict, owners: dict, equity: int) -> None:
    added = _added(actions)
    for action in actions:
        assert action.target_base_size >= 0
        if action.blocked:
            assert action.target_base_size == action.current_base_size
    after = [*ctx.positions]
    after += [
        PositionExposure(pair, pair.removesuffix("USD"), size, Decimal(PRICES[pair]), owners[pair])
        for pair, size in added.items()
    ]
    per_trade = _pct(equity, cap["max_risk_per_trade_pct"])
    for pair in added:  # per trade: the strategy's whole position in the pair
        owned = sum(p.base_size for p in after if p.pair == pair and p.strategy_id == owners[pair])
        assert owned * Decimal(PRICES[pair]) * ATR_SHARE * MULTIPLE <= per_trade
    by_asset: dict[str, Decimal] = defaultdict(Decimal)
    for p in after:
        by_asset[p.base_asset] += p.value_usd
    for pair in added:
        assert by_asset[pair.removesuffix("USD")] <= _pct(equity, cap["max_per_asset_pct"])
    by_owner: dict[str, Decimal] = defaultdict(Decimal)
    for p in after:
        by_owner[p.strategy_id] += p.value_usd
    for pair in added:
        limit = cap["max_per_strategy_pct"].get(owners[pair])
        if limit is not None:
            assert by_owner[owners[pair]] <= _pct(equity, limit)
    if added:
        risk = sum((min(p.base_size * _unit_risk(p.pair), p.value_usd) for p in after), Decimal(0))
        assert risk <= _pct(equity, cap["max_portfolio_risk_pct"])
    new_pairs = {pair for pair in added if ctx.position(pair) == 0}
    if new_pairs:
        counted = {
            p.pair for p in after if cap["include_manual_positions"] or p.strategy_id != "manual"
        }
        assert len(counted) <= cap["max_open_positions"]


@settings(max_examples=150, deadline=None)
@given(held_positions, pair_owners, intent_specs, caps, st.sampled_from([20_000, 100_000]))
def test_no_approved_action_breaks_a_cap(held, owners, specs, cap, equity) -> None:
    ctx = _world(held, equity)
    actions = engine(**cap).evaluate(_intents(specs, owners), ctx)
    event("adds" if _added(actions) else "adds nothing")
    _check_caps(ctx, actions, cap, owners, equity)


@settings(max_examples=100, deadline=None)
@given(held_positions, pair_owners, intent_specs, caps, st.randoms(use_true_random=False))
def test_plan_is_invariant_under_intent_order(held, owners, specs, cap, rnd) -> None:
    ctx = _world(held, 100_000)
    intents = _intents(specs, owners)
    shuffled = list(intents)
    rnd.shuffle(shuffled)
    risk = engine(**cap)
    assert risk.evaluate(intents, ctx) == risk.evaluate(shuffled, ctx)


@settings(max_examples=100, deadline=None)
@given(held_positions, pair_owners, intent_specs, st.sampled_from(["manual", "drift", "drawdown"]))
def test_with_the_kill_switch_on_nothing_opens_or_increases(held, owners, specs, trigger) -> None:
    ctx = _world(held, 100_000)
    if trigger == "manual":
        ctx = replace(ctx, kill_switch_manual=True)
    elif trigger == "drift":
        ctx = replace(ctx, drift_flag=True)
    else:
        ctx = replace(ctx, equity_history=((ctx.now, Decimal(200_000)),))
    actions = engine().evaluate(_intents(specs, owners), ctx)
    for action in actions:
        assert not (action.action_type in OPENING_ACTIONS and not action.blocked)
        assert action.target_base_size <= action.current_base_size
