"""Alembic environment: runs on the engine handed in by krakked_core.db.migrate."""

from alembic import context

import krakked_core.db.tables  # noqa: F401  (registers every table on the metadata)
from krakked_core.db.metadata import metadata

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    context.run_migrations()
