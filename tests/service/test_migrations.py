"""The Alembic scripts and the models describe the same schema, on SQLite and on PostgreSQL."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from service.db import alembic_config, get_engine, make_engine, upgrade
from service.models import Base


def test_the_migrated_schema_equals_the_models(db_app):
    with get_engine(db_app).connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []


def test_the_database_is_at_the_single_head(db_app):
    url = db_app.config["CERTGUARD_DATABASE_URL"]
    heads = ScriptDirectory.from_config(alembic_config(url)).get_heads()
    assert len(heads) == 1
    upgrade(url)  # a second upgrade is a no-op
    with get_engine(db_app).connect() as connection:
        assert MigrationContext.configure(connection).get_current_heads() == tuple(heads)


def test_a_fresh_database_migrates_down_to_nothing_and_back(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    engine = make_engine(url)
    upgrade(url)
    command.downgrade(alembic_config(url), "base")
    assert inspect(engine).get_table_names() == ["alembic_version"]
    upgrade(url)
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    engine.dispose()
