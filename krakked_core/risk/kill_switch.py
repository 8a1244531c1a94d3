"""The kill switch (contract Phase 4 §5.4): manual OR drift OR daily drawdown over the limit.

While any is active, actions that add risk (``open``, ``increase``) are blocked; ``reduce`` and
``close`` still pass so the portfolio can be de-risked.
"""

from dataclasses import dataclass
from decimal import Decimal

from krakked_core.config import RiskConfig
from krakked_core.model.decisions import BlockReason
from krakked_core.model.precision import decimal_text
from krakked_core.risk.context import RiskContext


@dataclass(frozen=True, slots=True)
class KillSwitch:
    """Which kill-switch conditions hold now, with a sentence for each."""

    reasons: tuple[tuple[BlockReason, str], ...]
    drawdown_pct: Decimal

    @property
    def active(self) -> bool:
        return bool(self.reasons)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(code.value for code, _ in self.reasons)


def kill_switch(risk: RiskConfig, ctx: RiskContext) -> KillSwitch:
    """Return the kill switch as ``ctx`` and the risk config make it."""
    reasons: list[tuple[BlockReason, str]] = []
    if ctx.kill_switch_manual:
        why = ctx.kill_switch_reason or "no reason given"
        reasons.append((BlockReason.KILL_SWITCH_MANUAL, f"kill switch set by the operator: {why}"))
    if ctx.drift_flag and risk.kill_switch_on_drift:
        reasons.append(
            (BlockReason.KILL_SWITCH_DRIFT, "the books and the exchange disagree (drift)")
        )
    drawdown = ctx.drawdown_pct
    limit = Decimal(str(risk.max_daily_drawdown_pct))
    if drawdown > limit:
        text = f"daily drawdown {decimal_text(round(drawdown, 2))}% exceeds {decimal_text(limit)}%"
        reasons.append((BlockReason.KILL_SWITCH_DRAWDOWN, text))
    return KillSwitch(reasons=tuple(reasons), drawdown_pct=drawdown)
