"""Tables of the control plane (migration ``0010_control_plane``).

``audit_log`` holds one row per operator mutation (what, with which parameters — never a
secret —, from where, and how it ended); ``config_overlay`` the runtime overrides of the YAML
config, one JSON document per section (``risk``, ``strategy:<id>``, ``execution``), which the
next decision cycle applies on top of the files.
"""

from sqlalchemy import Column, DateTime, Integer, String, Table, Text

from krakked_core.db.metadata import metadata

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
    Column("action", String(64), nullable=False),
    Column("params", Text, nullable=False),  # JSON, secrets never included
    Column("source", String(32), nullable=False),  # "api", "cli" …
    Column("client", String(128), nullable=False),  # the remote address ("" when local)
    Column("outcome", String(16), nullable=False),  # "ok" | "refused" | "failed"
    Column("detail", Text, nullable=False),
)

config_overlay = Table(
    "config_overlay",
    metadata,
    Column("section", String(128), primary_key=True),
    Column("value", Text, nullable=False),  # JSON: the partial section, as the models read it
    Column("source", String(32), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
