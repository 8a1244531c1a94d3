"""``StrategyRiskEngine`` (contract Phase 4 §7): one decision cycle per closed candle.

A cycle is the steps the Dagster job runs as ops and ``run_cycle`` runs in a row: ``sync`` the
portfolio → ``observe`` the world (data status, kill switch, equity …) → ``generate`` intents →
``assess`` them (risk) → ``record`` the plan. Whatever the world looks like, a cycle
ends in a stored plan; stale data, an incomplete valuation, drift or the kill switch only take
the opening actions out, with reasons.
"""

import logging
import uuid
from collections.abc import Callable
from datetime import datetime

from krakked_core.clock import Clock
from krakked_core.config import AppConfig
from krakked_core.control_state import ControlStateStore
from krakked_core.errors import ConfigError, KrakkedError
from krakked_core.model.decisions import ExecutionPlan, RiskStatus, StrategyIntent
from krakked_core.model.market import TIMEFRAME_SECONDS, Timeframe
from krakked_core.risk.engine import RiskEngine
from krakked_core.strategy.cycle_inputs import WorldView, read_world, risk_context
from krakked_core.strategy.decision_store import DecisionStore
from krakked_core.strategy.registry import build_strategies
from krakked_core.strategy.runner import StrategyRunner
from krakked_core.strategy.sources import CycleCandles, MarketReader, PortfolioReader
from krakked_core.strategy.strategy_state import StrategyState, strategy_states

logger = logging.getLogger(__name__)


def _seconds(timeframe: Timeframe) -> int:
    return TIMEFRAME_SECONDS[timeframe]


def new_plan_id() -> str:
    return uuid.uuid4().hex


class StrategyRiskEngine:
    """Strategies, risk and the decision log behind one facade (every collaborator passed in)."""

    def __init__(
        self,
        config: AppConfig,
        *,
        portfolio: PortfolioReader,
        market: MarketReader,
        control: ControlStateStore,
        decisions: DecisionStore,
        clock: Clock,
        plan_ids: Callable[[], str] = new_plan_id,
    ) -> None:
        self._portfolio = portfolio
        self._market = market
        self._control = control
        self._decisions = decisions
        self._clock = clock
        self._plan_ids = plan_ids
        self._config = config
        self._runner = StrategyRunner([])
        self._risk = RiskEngine.from_config(config)
        self._cycle_candles: CycleCandles | None = None

    # --- lifecycle --------------------------------------------------------------------------

    def initialize(self) -> None:
        """Build the enabled strategies and check their timeframes are ones market data keeps."""
        self.reload_config(self._config)
        for strategy in self._runner.strategies:
            strategy.warmup(self._market, self._portfolio)

    def reload_config(self, config: AppConfig) -> None:
        """Use a new risk/strategy config from the next cycle on; ConfigError leaves the old."""
        runner = StrategyRunner(build_strategies(config))
        kept = set(config.market_data.timeframes)
        for strategy in runner.strategies:
            missing = sorted(set(strategy.timeframes) - kept)
            if missing:
                raise ConfigError(
                    f"strategies.configs.{strategy.id}.timeframes: {', '.join(missing)} not in "
                    "market_data.timeframes, so no candles of it are kept"
                )
        self._config, self._runner, self._risk = config, runner, RiskEngine.from_config(config)

    @property
    def runner(self) -> StrategyRunner:
        return self._runner

    # --- the cycle --------------------------------------------------------------------------

    def run_cycle(self, now: datetime, timeframe: Timeframe) -> ExecutionPlan:
        """Run one decision cycle for the candle of ``timeframe`` that closed at ``now``."""
        world = self.observe(now, timeframe, sync_error=self.sync())
        plan, status = self.decide(world)
        self.record(plan, status)
        return plan

    def sync(self) -> str | None:
        """Sync the portfolio; return why it failed (the cycle goes on, opening nothing)."""
        try:
            self._portfolio.sync()
        except KrakkedError as exc:
            logger.error("portfolio sync failed, no new risk this cycle: %s", exc)
            return f"{type(exc).__name__}: {exc}"
        return None

    def observe(
        self, now: datetime, timeframe: Timeframe, *, sync_error: str | None = None
    ) -> WorldView:
        """Read data status, kill switch, equity, positions, history and universes once."""
        self._cycle_candles = CycleCandles(self._market, now)  # a new cycle reads bars afresh
        return read_world(
            now,
            timeframe,
            config=self._config,
            portfolio=self._portfolio,
            market=self._market,
            control=self._control,
            runner=self._runner,
            sync_error=sync_error,
        )

    def decide(self, world: WorldView) -> tuple[ExecutionPlan, RiskStatus]:
        """Ask the strategies, then the risk engine; return the plan and the risk status."""
        return self.assess(world, self.generate(world))

    def generate(self, world: WorldView) -> tuple[StrategyIntent, ...]:
        """Return the intents of the strategies deciding on this candle, in a stable order."""
        candles = self._candles(world.now)
        held = world.held
        return tuple(
            self._runner.generate(world.now, world.timeframe, candles, world.universes, held)
        )

    def assess(
        self, world: WorldView, intents: tuple[StrategyIntent, ...]
    ) -> tuple[ExecutionPlan, RiskStatus]:
        """Turn intents into risk-checked actions; return the plan and the risk status."""
        lookback = self._config.risk.volatility_lookback_bars
        ctx = risk_context(world, intents, self._market, self._candles(world.now), lookback)
        status = self._risk.status(ctx)
        plan = ExecutionPlan(
            plan_id=self._plan_ids(),
            generated_at=world.now,
            timeframe=world.timeframe,
            actions=tuple(self._risk.evaluate(intents, ctx)),
            intents=intents,
            metadata={
                "equity_usd": str(ctx.equity_usd),
                "kill_switch_active": status.kill_switch_active,
                "kill_switch_reasons": list(status.kill_switch_reasons),
                "stale_pairs": sorted(ctx.stale_pairs),
                "kill_switch_manual_reason": world.kill_switch_reason,
                "notes": list(world.notes),
            },
        )
        return plan, status

    def record(self, plan: ExecutionPlan, status: RiskStatus) -> None:
        """Store the plan and log a kill-switch change since the previous cycle."""
        previous = next(iter(self._decisions.recent(limit=1)), None)
        self._decisions.save(plan, status, notes="; ".join(plan.metadata.get("notes", ())))
        was_active = previous.kill_switch_active if previous else False
        reasons = ", ".join(status.kill_switch_reasons)
        if status.kill_switch_active and not was_active:
            why = plan.metadata.get("kill_switch_manual_reason") or ""
            logger.critical(
                "kill switch ACTIVE: %s%s; no new positions will be opened",
                reasons,
                f" ({why})" if why else "",
            )
        elif previous is not None and was_active and not status.kill_switch_active:
            logger.warning("kill switch CLEARED (was: %s)", ", ".join(previous.kill_switch_reasons))
        _log_plan(plan)

    def _candles(self, now: datetime) -> CycleCandles:
        """This cycle's candles: the strategies and the ATR share one read per pair."""
        if self._cycle_candles is None or self._cycle_candles.now != now:
            self._cycle_candles = CycleCandles(self._market, now)
        return self._cycle_candles

    # --- the operator's view ----------------------------------------------------------------

    def get_risk_status(self) -> RiskStatus:
        """The risk state now, from the stored books (no sync) and the live data status."""
        now = self._clock.now()
        world = self.observe(now, min(self._runner.timeframes(), key=_seconds, default="1h"))
        lookback = self._config.risk.volatility_lookback_bars
        return self._risk.status(
            risk_context(world, (), self._market, self._candles(now), lookback)
        )

    def get_strategy_state(self) -> list[StrategyState]:
        """Every configured strategy: enabled or not, its positions, PnL and last activity."""
        return strategy_states(
            self._config.strategies, self._portfolio, self._decisions.activity_by_strategy()
        )


def _log_plan(plan: ExecutionPlan) -> None:
    """Log the cycle's intents and actions (contract Phase 4 §6.3), blocked ones with why."""
    logger.info(
        "cycle %s %s: %d intents, %d actions, %d blocked",
        plan.timeframe,
        plan.generated_at.isoformat(),
        len(plan.intents),
        len(plan.actions),
        plan.blocked_count,
    )
    for intent in plan.intents:
        logger.info("intent %s %s %s", intent.strategy_id, intent.pair, intent.intent_type)
    for action in plan.actions:
        blocked = f" BLOCKED {','.join(action.blocked_reasons)}" if action.blocked else ""
        logger.info(
            "action %s %s → %s%s: %s",
            action.pair,
            action.action_type,
            action.target_base_size,
            blocked,
            action.reason,
        )
