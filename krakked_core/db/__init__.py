"""The app database: engine, tables (one module per area), Alembic migrations."""

from krakked_core.db.engine import make_engine
from krakked_core.db.migrate import check_schema, current_revisions, head_revisions, upgrade

__all__ = ["check_schema", "current_revisions", "head_revisions", "make_engine", "upgrade"]
