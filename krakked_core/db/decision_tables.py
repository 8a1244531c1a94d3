"""Tables of the decision log (migration ``0006_decisions``): one row per cycle, its intents and
its actions, so "why did (or didn't) it buy SOL at 14:00" is one join on ``pair`` and ``at``.

Money is ``DecimalText`` (exact on every backend); times are aware UTC datetimes; lists and
free-form metadata are JSON text.
"""

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
)

from krakked_core.db.metadata import DecimalText, metadata

# One decision cycle: the ExecutionPlan's header and the risk state it was decided under.
decisions = Table(
    "decisions",
    metadata,
    Column("plan_id", String(64), primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
    Column("timeframe", String(8), nullable=False),
    Column("intents_count", Integer, nullable=False),
    Column("actions_count", Integer, nullable=False),
    Column("blocked_count", Integer, nullable=False),
    Column("kill_switch_active", Boolean, nullable=False),
    Column("kill_switch_reasons", Text, nullable=False),  # JSON list of BlockReason codes
    Column("notes", Text, nullable=False),
    Column("metadata", Text, nullable=False),  # JSON: equity, data status, risk mode …
)

decision_intents = Table(
    "decision_intents",
    metadata,
    Column("plan_id", String(64), ForeignKey("decisions.plan_id"), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("strategy_id", String(64), nullable=False),
    Column("pair", String(32), nullable=False, index=True),
    Column("side", String(8), nullable=False),
    Column("intent_type", String(16), nullable=False),
    Column("desired_exposure_usd", DecimalText, nullable=True),
    Column("confidence", Float, nullable=False),  # a score, never money
    Column("timeframe", String(8), nullable=False),
    Column("generated_at", DateTime(timezone=True), nullable=False),
    Column("metadata", Text, nullable=False),
)

decision_actions = Table(
    "decision_actions",
    metadata,
    Column("plan_id", String(64), ForeignKey("decisions.plan_id"), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("pair", String(32), nullable=False, index=True),
    Column("strategy_id", String(128), nullable=False),
    Column("action_type", String(16), nullable=False),
    Column("target_base_size", DecimalText, nullable=False),
    Column("target_notional_usd", DecimalText, nullable=False),
    Column("current_base_size", DecimalText, nullable=False),
    Column("blocked", Boolean, nullable=False),
    Column("clamped", Boolean, nullable=False),
    Column("blocked_reasons", Text, nullable=False),  # JSON list of BlockReason codes
    Column("reason", Text, nullable=False),
    Column("risk_limits_snapshot", Text, nullable=False),
)
