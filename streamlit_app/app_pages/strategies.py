"""Strategies: enable/disable, safe runtime parameters, PnL and positions, last decision."""

import streamlit as st

from krakked_core.api.schemas import DecisionOut, StrategyOut
from streamlit_app.components.context import Panel, current_panel
from streamlit_app.components.reasons import plain
from streamlit_app.components.show import act, fetch, usd


def render(panel: Panel) -> None:
    st.title("Strategies")
    every = panel.settings.every(panel.settings.strategies_ms)
    st.fragment(run_every=every)(_live)(panel)


def _live(panel: Panel) -> None:
    strategies = fetch("Strategies", panel.client.strategies)
    if strategies is None:
        return
    if not strategies:
        st.info("No strategy is configured.")
    decisions = fetch("Decisions", lambda: panel.client.decisions(limit=20)) or []
    for strategy in strategies:
        with st.expander(f"{strategy.id} ({strategy.type})", expanded=True):
            _strategy(panel, strategy, decisions)


def _strategy(panel: Panel, s: StrategyOut, decisions: list[DecisionOut]) -> None:
    cols = st.columns(4)
    cols[0].metric("Realized PnL", usd(s.pnl_summary.realized_usd))
    cols[1].metric("Unrealized PnL", usd(s.pnl_summary.unrealized_usd))
    cols[2].metric("Positions", f"{s.current_positions} / {s.max_positions}")
    cols[3].metric("Enabled", "yes" if s.enabled else "no")
    st.caption(
        f"userref {s.userref} · timeframes {', '.join(s.timeframes)} · "
        f"last intents {s.last_intents_at or 'never'} · last actions {s.last_actions_at or 'never'}"
    )
    enabled = st.toggle("Enabled", value=s.enabled, key=f"enabled.{s.id}")
    if enabled != s.enabled and act(
        f"{s.id} {'enabled' if enabled else 'disabled'}",
        lambda: panel.client.set_strategy_enabled(s.id, enabled),
    ):
        st.rerun()
    _last_decision(s.id, decisions)
    _tuning(panel, s.id)


def _last_decision(strategy_id: str, decisions: list[DecisionOut]) -> None:
    for decision in decisions:
        actions = [a for a in decision.actions if a.strategy_id == strategy_id]
        if not actions:
            continue
        st.markdown(f"**Last decision** ({decision.time}, plan {decision.plan_id})")
        for a in actions:
            why = "; ".join(plain(r) for r in a.blocked_reasons)
            state = f"BLOCKED: {why}" if a.blocked else ("clamped" if a.clamped else "passed")
            st.write(f"{a.pair}: {a.action_type} to {a.target_base_size} ({state}) {a.reason}")
        return
    st.caption("No decision has an action of this strategy yet.")


def _tuning(panel: Panel, strategy_id: str) -> None:
    config = fetch(f"{strategy_id} config", lambda: panel.client.strategy_config(strategy_id))
    if config is None:
        return
    with st.form(f"tune.{strategy_id}"):
        st.markdown("**Safe runtime parameters**")
        max_positions = st.number_input(
            "Max positions",
            value=config.max_positions,
            min_value=0,
            key=f"max_positions.{strategy_id}",
        )
        stop = st.text_input("Stop (ATR multiple)", value=config.stop_atr_multiple)
        priority = st.number_input("Priority", value=config.priority)
        saved = st.form_submit_button("Save parameters", key=f"save.{strategy_id}")
    changes = {
        k: v
        for k, v, old in (
            ("max_positions", int(max_positions), config.max_positions),
            ("stop_atr_multiple", stop, config.stop_atr_multiple),
            ("priority", int(priority), config.priority),
        )
        if v != old
    }
    if (
        saved
        and changes
        and act(
            f"{strategy_id} parameters",
            lambda: panel.client.change_strategy_config(strategy_id, changes),
        )
    ):
        st.rerun()
    if config.overridden:
        st.caption(f"Overridden at runtime: {', '.join(config.overridden)}")


render(current_panel())
