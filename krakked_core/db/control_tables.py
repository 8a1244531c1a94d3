"""Tables of the operator's controls (migration ``0007_control_state``).

``control_state`` holds the current value of each control (the manual kill switch, key
``kill_switch``); ``control_state_history`` every change, written in the same transaction.
The CLI writes them now and the API will; the decision cycle reads them fresh every cycle.
"""

from sqlalchemy import Boolean, Column, DateTime, Integer, String, Table, Text

from krakked_core.db.metadata import metadata

control_state = Table(
    "control_state",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("active", Boolean, nullable=False),
    Column("reason", Text, nullable=False),
    Column("source", String(32), nullable=False),  # who changed it: "cli", "api" …
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

control_state_history = Table(
    "control_state_history",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(64), nullable=False, index=True),
    Column("active", Boolean, nullable=False),
    Column("reason", Text, nullable=False),
    Column("source", String(32), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)
