"""Decision log: each cycle's plan, its intents and its actions with reasons.

Revision ID: 0006_decisions
Revises: 0001_baseline
"""

import sqlalchemy as sa
from alembic import op

from krakked_core.db.metadata import DecimalText

revision = "0006_decisions"
down_revision = "0001_baseline"
branch_labels = ("decisions",)
depends_on = None

_TZ = sa.DateTime(timezone=True)


def _plan_id(table: str) -> sa.Column[str]:
    fk = sa.ForeignKey("decisions.plan_id", name=f"fk_{table}_plan_id_decisions")
    return sa.Column("plan_id", sa.String(64), fk, primary_key=True)


def upgrade() -> None:
    op.create_table(
        "decisions",
        sa.Column("plan_id", sa.String(64), primary_key=True),
        sa.Column("at", _TZ, nullable=False),
        sa.Column("timeframe", sa.String(8), nullable=False),
        sa.Column("intents_count", sa.Integer, nullable=False),
        sa.Column("actions_count", sa.Integer, nullable=False),
        sa.Column("blocked_count", sa.Integer, nullable=False),
        sa.Column("kill_switch_active", sa.Boolean, nullable=False),
        sa.Column("kill_switch_reasons", sa.Text, nullable=False),
        sa.Column("notes", sa.Text, nullable=False),
        sa.Column("metadata", sa.Text, nullable=False),
    )
    op.create_index("ix_decisions_at", "decisions", ["at"])
    op.create_table(
        "decision_intents",
        _plan_id("decision_intents"),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("strategy_id", sa.String(64), nullable=False),
        sa.Column("pair", sa.String(32), nullable=False),
        sa.Column("side", sa.String(8), nullable=False),
        sa.Column("intent_type", sa.String(16), nullable=False),
        sa.Column("desired_exposure_usd", DecimalText, nullable=True),
        sa.Column("confidence", sa.Float, nullable=False),
        sa.Column("timeframe", sa.String(8), nullable=False),
        sa.Column("generated_at", _TZ, nullable=False),
        sa.Column("metadata", sa.Text, nullable=False),
    )
    op.create_index("ix_decision_intents_pair", "decision_intents", ["pair"])
    op.create_table(
        "decision_actions",
        _plan_id("decision_actions"),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("pair", sa.String(32), nullable=False),
        sa.Column("strategy_id", sa.String(128), nullable=False),
        sa.Column("action_type", sa.String(16), nullable=False),
        sa.Column("target_base_size", DecimalText, nullable=False),
        sa.Column("target_notional_usd", DecimalText, nullable=False),
        sa.Column("current_base_size", DecimalText, nullable=False),
        sa.Column("blocked", sa.Boolean, nullable=False),
        sa.Column("clamped", sa.Boolean, nullable=False),
        sa.Column("blocked_reasons", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("risk_limits_snapshot", sa.Text, nullable=False),
    )
    op.create_index("ix_decision_actions_pair", "decision_actions", ["pair"])


def downgrade() -> None:
    for table in ("decision_actions", "decision_intents", "decisions"):
        op.drop_table(table)
