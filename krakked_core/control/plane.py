"""``ControlPlane``: the one facade every operator query and action goes through.

Queries read the services (portfolio, strategy/risk engine, decision log, kill switch, audit
log). Every mutation runs through ``_audited``: it is refused with a ``ControlError`` when it
makes no sense now or lacks its confirmation phrase, and ends in one ``audit_log`` row whatever
happened (``ok``, ``refused``, ``failed``).
"""

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from typing import Any

from krakked_core.clock import Clock
from krakked_core.config import AppConfig, StrategyConfig
from krakked_core.config_overlay import EXECUTION, RISK, strategy_section
from krakked_core.control.audit import Actor, AuditEntry, AuditLog
from krakked_core.control.errors import (
    ActionRefusedError,
    ConfirmationError,
    ControlError,
    InvalidChangeError,
    NotFoundError,
    UnavailableError,
)
from krakked_core.control.execution_port import ExecutionPort, OrderView, ResultView
from krakked_core.control.health import HealthProbe
from krakked_core.control.phrases import CANCEL_ALL, FLATTEN, GO_LIVE
from krakked_core.control.read_cache import ReadCache
from krakked_core.control.settings import RuntimeSettings
from krakked_core.control.views import (
    Decision,
    Exposure,
    ExposureShare,
    Health,
    PortfolioSummary,
    SectionSettings,
)
from krakked_core.control_state import KILL_SWITCH_OFF_PHRASE, ControlStateStore, KillSwitchState
from krakked_core.errors import KrakkedError
from krakked_core.model.decisions import RiskStatus
from krakked_core.portfolio.models import PortfolioSnapshot, Position, RealizedPnLRecord
from krakked_core.portfolio.pnl import percentage
from krakked_core.portfolio.service import PortfolioService
from krakked_core.secrets import ValidationOutcome
from krakked_core.strategy.decision_store import DecisionStore
from krakked_core.strategy.engine import StrategyRiskEngine
from krakked_core.strategy.strategy_state import StrategyState

# What the operator may tune on a running strategy; its type, userref, timeframes and universe
# define what it is (and what its past orders are attributed to), so they stay in the files.
TUNABLE_STRATEGY_FIELDS = frozenset({"max_positions", "stop_atr_multiple", "priority", "params"})

LiveCheck = Callable[[], ValidationOutcome]

# Order states in which an order may still trade (the OMS's non-terminal ``OrderStatus``).
LIVE_STATUSES = frozenset({"pending", "submitted", "submit_unknown", "open", "partially_filled"})


class ControlPlane:
    """Every collaborator is passed in (``krakked_core.control.compose`` builds them)."""

    def __init__(
        self,
        *,
        settings: RuntimeSettings,
        engine: StrategyRiskEngine,
        portfolio: PortfolioService,
        control: ControlStateStore,
        decisions: DecisionStore,
        audit: AuditLog,
        health: HealthProbe,
        clock: Clock,
        live_check: LiveCheck | None = None,
        read_ttl_seconds: float = 0.0,
        execution: ExecutionPort | None = None,
    ) -> None:
        self._settings = settings
        self._engine = engine
        self._portfolio = portfolio
        self._control = control
        self._decisions = decisions
        self._audit = audit
        self._health = health
        self._clock = clock
        self._live_check = live_check
        self._reads = ReadCache(clock, read_ttl_seconds)
        self._execution = execution

    # --- system -----------------------------------------------------------------------------

    def health(self) -> Health:
        return self._health.check(self.config(), self._settings.problem)

    def config(self) -> AppConfig:
        """The config in force: the files plus the runtime overlay."""
        return self._settings.current()

    # --- portfolio --------------------------------------------------------------------------

    def portfolio_summary(self) -> PortfolioSummary:
        return self._reads.get(
            "summary",
            lambda: PortfolioSummary(
                equity=self._portfolio.get_equity(),
                pnl=self._portfolio.get_pnl_summary(),
                last_snapshot=self._portfolio.latest_snapshot(),
            ),
        )

    def positions(self) -> list[Position]:
        return self._reads.get("positions", self._portfolio.get_positions)

    def exposure(self) -> Exposure:
        """By asset (the portfolio's shares) and by strategy (positions by who opened them)."""
        assets = self._portfolio.get_asset_exposure()
        by_asset = tuple(
            ExposureShare(a.asset, a.value_base, a.percentage_of_equity) for a in assets
        )
        complete = all(a.valued for a in assets)
        equity = sum((a.value_base or Decimal(0) for a in assets), Decimal(0))
        values: dict[str, Decimal | None] = {}
        for position in self._portfolio.get_positions():
            tag = position.strategy_tag or "manual"
            value = position.current_value_base
            held = values.get(tag, Decimal(0))
            values[tag] = None if value is None or held is None else held + value
        by_strategy = tuple(
            ExposureShare(tag, value, percentage(value, equity if complete else None))
            for tag, value in sorted(values.items())
        )
        return Exposure(by_asset, by_strategy)

    def trades(
        self,
        *,
        pair: str | None = None,
        limit: int = 100,
        since: datetime | None = None,
        strategy_id: str | None = None,
    ) -> list[RealizedPnLRecord]:
        """Newest first; every trade, manual ones included, filtered as asked."""
        filtered = since is not None or strategy_id is not None
        records = self._portfolio.get_trade_history(
            pair=pair, limit=None if filtered else limit, include_manual=True
        )
        kept = [
            r
            for r in records
            if (since is None or r.time >= since)
            and (strategy_id is None or r.strategy_tag == strategy_id)
        ]
        return kept[:limit]

    def equity_history(
        self, *, since: datetime | None = None, limit: int | None = None
    ) -> list[PortfolioSnapshot]:
        """Complete snapshots only (a partial one's equity leaves holdings out), oldest first."""
        return list(reversed(self._portfolio.get_snapshots(since=since, limit=limit)))

    def create_snapshot(self, actor: Actor) -> PortfolioSnapshot:
        with self._audited("create_snapshot", {}, actor):
            return self._portfolio.create_snapshot()

    # --- risk -------------------------------------------------------------------------------

    def risk_status(self) -> RiskStatus:
        return self._reads.get("risk_status", self._compute_risk_status)

    def _compute_risk_status(self) -> RiskStatus:
        self.config()  # the engine follows the overlay
        return self._engine.get_risk_status()

    def kill_switch(self) -> KillSwitchState:
        return self._control.kill_switch()

    def set_kill_switch(
        self, active: bool, actor: Actor, *, reason: str = "", confirm: str = ""
    ) -> KillSwitchState:
        """Turn it on (always allowed, no phrase) or off (with ``DISABLE KILL SWITCH``)."""
        params = {"active": active, "reason": reason}
        with self._audited("set_kill_switch", params, actor):
            if not active and confirm != KILL_SWITCH_OFF_PHRASE:
                raise ConfirmationError(KILL_SWITCH_OFF_PHRASE)
            return self._control.set_kill_switch(active, reason=reason, source=actor.source)

    def risk_config(self) -> SectionSettings:
        config = self.config()
        overlay = self._settings.overlay()
        return SectionSettings(config.risk.model_dump(mode="json"), tuple(sorted(overlay.risk)))

    def change_risk_config(self, changes: Mapping[str, Any], actor: Actor) -> SectionSettings:
        """Override risk limits from the next cycle on (mapping limits merge key by key)."""
        with self._audited("change_risk_config", dict(changes), actor):
            if not changes:
                raise InvalidChangeError("risk: no change given", ("risk",))
            self._settings.change(RISK, changes, source=actor.source)
        return self.risk_config()

    def reset_risk_config(self, actor: Actor) -> SectionSettings:
        """Drop every risk override: the config file's limits from the next cycle on."""
        with self._audited("reset_risk_config", {}, actor):
            self._settings.reset(RISK, source=actor.source)
        return self.risk_config()

    # --- strategies -------------------------------------------------------------------------

    def strategies(self) -> list[StrategyState]:
        return self._reads.get("strategies", self._compute_strategies)

    def _compute_strategies(self) -> list[StrategyState]:
        self.config()  # the engine follows the overlay
        return self._engine.get_strategy_state()

    def strategy_config(self, strategy_id: str) -> SectionSettings:
        config = self._strategy(strategy_id)
        overridden = self._settings.overlay().strategies.get(strategy_id, {})
        return SectionSettings(config.model_dump(mode="json"), tuple(sorted(overridden)))

    def set_strategy_enabled(self, strategy_id: str, enabled: bool, actor: Actor) -> StrategyState:
        params = {"strategy_id": strategy_id, "enabled": enabled}
        with self._audited("set_strategy_enabled", params, actor):
            self._strategy(strategy_id)
            change = {"enabled": enabled}
            self._settings.change(strategy_section(strategy_id), change, source=actor.source)
        return next(s for s in self.strategies() if s.strategy_id == strategy_id)

    def change_strategy_config(
        self, strategy_id: str, changes: Mapping[str, Any], actor: Actor
    ) -> SectionSettings:
        """Tune a strategy's safe parameters (``TUNABLE_STRATEGY_FIELDS``) from the next cycle."""
        params = {"strategy_id": strategy_id, **changes}
        with self._audited("change_strategy_config", params, actor):
            self._strategy(strategy_id)
            fixed = sorted(set(changes) - TUNABLE_STRATEGY_FIELDS)
            where = f"strategies.configs.{strategy_id}"
            if fixed:
                raise InvalidChangeError(
                    f"{where}.{fixed[0]}: cannot be changed at runtime (only "
                    f"{', '.join(sorted(TUNABLE_STRATEGY_FIELDS))}); edit the config file",
                    tuple(f"{where}.{name}" for name in fixed),
                )
            if not changes:
                raise InvalidChangeError(f"{where}: no change given", (where,))
            self._settings.change(strategy_section(strategy_id), changes, source=actor.source)
        return self.strategy_config(strategy_id)

    def reset_strategy_config(self, strategy_id: str, actor: Actor) -> SectionSettings:
        """Drop a strategy's overrides (enabled included): its config file's values again."""
        with self._audited("reset_strategy_config", {"strategy_id": strategy_id}, actor):
            self._strategy(strategy_id)
            self._settings.reset(strategy_section(strategy_id), source=actor.source)
        return self.strategy_config(strategy_id)

    def _strategy(self, strategy_id: str) -> StrategyConfig:
        config = self.config().strategies.configs.get(strategy_id)
        if config is None:
            raise NotFoundError(f"no strategy {strategy_id!r} is configured")
        return config

    # --- decisions and audit ----------------------------------------------------------------

    def decisions(self, limit: int = 20) -> list[Decision]:
        """The newest cycles first, each with its intents and actions (and why any blocked)."""
        out = []
        for record in self._decisions.recent(limit=limit):
            plan = self._decisions.load_plan(record.plan_id)
            if plan is not None:
                out.append(Decision(record, plan))
        return out

    def audit(self, limit: int = 100, action: str | None = None) -> list[AuditEntry]:
        return self._audit.recent(limit=limit, action=action)

    # --- orders and executions --------------------------------------------------------------

    def open_orders(self) -> Sequence[OrderView]:
        return self._reads.get("open_orders", self._oms().open_orders)

    def recent_executions(self, limit: int = 20) -> Sequence[ResultView]:
        return self._oms().recent_executions(limit)

    def order(self, local_id: str) -> OrderView:
        return self._oms().order(local_id)

    def cancel_order(self, local_id: str, actor: Actor) -> OrderView:
        with self._audited("cancel_order", {"local_id": local_id}, actor):
            return self._oms().cancel_order(local_id)

    def cancel_all(self, actor: Actor, *, confirm: str = "") -> int:
        with self._audited("cancel_all", {}, actor):
            oms = self._oms()
            if confirm != CANCEL_ALL:
                raise ConfirmationError(CANCEL_ALL)
            return oms.cancel_all()

    def flatten_all(self, actor: Actor, *, confirm: str = "") -> ResultView:
        """Close every position through the OMS's emergency flatten (``FLATTEN``)."""
        with self._audited("flatten_all", {}, actor):
            oms = self._oms()
            if confirm != FLATTEN:
                raise ConfirmationError(FLATTEN)
            return oms.flatten_all()

    def _oms(self) -> ExecutionPort:
        if self._execution is None:
            raise UnavailableError(
                "no execution service (OMS) in this API process: orders, cancels and flatten "
                "are unavailable here"
            )
        return self._execution

    # --- execution mode ---------------------------------------------------------------------

    def set_execution_mode(self, mode: str, actor: Actor, *, confirm: str = "") -> AppConfig:
        """Switch paper / dry_run / live (live: ``GO LIVE``, ``live_mode_enabled``, a key that
        works); the composition root of the OMS reads it when it next starts."""
        with self._audited("set_execution_mode", {"mode": mode}, actor):
            self._require_no_live_orders()
            if mode == "live":
                if confirm != GO_LIVE:
                    raise ConfirmationError(GO_LIVE)
                self._require_live_ready()
            return self._settings.change(EXECUTION, {"mode": mode}, source=actor.source)

    def _require_no_live_orders(self) -> None:
        """A plan is executing while any of its orders may still trade: no mode change then."""
        if self._execution is None:
            return  # no OMS here: the mode is config the OMS reads when it next starts
        live = [o for o in self._execution.open_orders() if o.status in LIVE_STATUSES]
        if live:
            raise ActionRefusedError(
                f"{len(live)} orders are still open or in flight: cancel them (or let them "
                "finish) before changing the execution mode"
            )

    def _require_live_ready(self) -> None:
        if not self.config().execution.live_mode_enabled:
            raise ActionRefusedError(
                "live mode needs execution.live_mode_enabled: true in the config file"
            )
        if self._live_check is None:
            raise ActionRefusedError("live mode needs API credentials (`krakked setup`)")
        outcome = self._live_check()
        if not outcome.validated:
            raise ActionRefusedError(f"live mode needs a working API key: {outcome.message}")

    # --- audit ------------------------------------------------------------------------------

    @contextmanager
    def _audited(self, action: str, params: Mapping[str, Any], actor: Actor) -> Iterator[None]:
        try:
            with self._reads.locked():
                yield
        except ControlError as exc:
            self._audit.record(action, params, actor, "refused", str(exc))
            raise
        except KrakkedError as exc:
            self._audit.record(action, params, actor, "failed", f"{type(exc).__name__}: {exc}")
            raise
        except Exception as exc:
            self._audit.record(action, params, actor, "failed", type(exc).__name__)
            raise
        self._audit.record(action, params, actor, "ok")
