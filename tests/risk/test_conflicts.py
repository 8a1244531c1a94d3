"""Two strategies on one pair (contract Phase 4 §5.3, §9.2): aggregation, deterministic."""

from decimal import Decimal

from tests.fakes.risk import context, engine, intent, position


def test_two_entries_on_one_pair_add_up_into_one_action() -> None:
    # Each is sized 1 unit (1 % of 100 000 / 1 000).
    [action] = engine().evaluate([intent(strategy_id="a"), intent(strategy_id="b")], context())

    assert action.strategy_id == "a+b"
    assert action.target_base_size == Decimal(2)
    assert action.reason.startswith("a enter") and "| b enter" in action.reason


def test_entry_and_exit_on_one_pair_net_out_per_owner() -> None:
    # b owns 0.4 and exits; a enters with 1 unit: 0.4 - 0.4 + 1 = 1.
    ctx = context(positions=(position(size="0.4", owner="b"),))
    [action] = engine().evaluate(
        [intent(strategy_id="a"), intent(strategy_id="b", intent_type="exit")], ctx
    )
    assert action.action_type == "increase"
    assert action.target_base_size == Decimal(1)


def test_the_most_conservative_of_one_strategys_intents_counts() -> None:
    ctx = context(positions=(position(size="1", owner="a"),))
    actions = engine().evaluate(
        [
            intent(strategy_id="a", intent_type="increase"),
            intent(strategy_id="a", intent_type="exit"),
        ],
        ctx,
    )
    assert [(a.action_type, a.target_base_size) for a in actions] == [("close", 0)]


def test_the_combined_budget_is_clamped_once_for_the_pair() -> None:
    # Cap 30 % = $30 000 on XBT: a gets 1 unit ($20 000), b only the remaining 0.5.
    actions = engine(max_per_asset_pct=30.0).evaluate(
        [intent(strategy_id="b"), intent(strategy_id="a")], context()
    )
    [action] = actions
    assert action.target_base_size == Decimal("1.5")
    assert action.clamped and action.blocked_reasons == ("max_per_asset_pct",)


def test_output_does_not_depend_on_the_order_intents_arrive_in() -> None:
    intents = [
        intent(strategy_id="b", confidence=0.7),
        intent(strategy_id="a", confidence=0.7),
        intent("ETHUSD", strategy_id="a", confidence=0.9),
    ]
    ctx = context(prices={"XBTUSD": "20000", "ETHUSD": "2000"})
    risk = engine(max_per_asset_pct=30.0, max_per_strategy_pct={"a": 25.0})
    assert risk.evaluate(intents, ctx) == risk.evaluate(list(reversed(intents)), ctx)
