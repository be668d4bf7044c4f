"""Alembic environment: the URL comes from `service.db.alembic_config`, the target from the models.

SQLite gets batch mode ("move and copy") because it can barely ALTER a table. Its foreign keys are left
unenforced here (SQLite's default), as batch mode requires: with them on, dropping the old copy of a table
that others refer to would delete or refuse their rows.
"""

from alembic import context
from sqlalchemy import create_engine, pool

from service.models import Base, UtcDateTime


def render_item(kind: str, obj: object, _autogen_context: object) -> str | bool:
    """Write our UTC timestamp type as the plain column type it stores, so scripts don't import models."""
    if kind == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


engine = create_engine(context.config.get_main_option("sqlalchemy.url"), poolclass=pool.NullPool)
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata, render_item=render_item,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()
