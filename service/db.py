"""The database: one engine per app, one session per app context, and schema upgrades through Alembic.

Plain SQLAlchemy rather than Flask-SQLAlchemy so the job worker and the CLI use the same models
and sessions as the pages, with nothing but an app context.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from flask import Flask, current_app, g
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def init_app(app: Flask) -> None:
    """Bind an engine to the app, upgrade the schema if configured, and close sessions at teardown."""
    url = app.config["CERTGUARD_DATABASE_URL"]
    if app.config["CERTGUARD_AUTO_UPGRADE"]:
        upgrade(url)
    engine = make_engine(url)
    app.extensions["certguard.engine"] = engine
    app.extensions["certguard.sessions"] = sessionmaker(bind=engine, expire_on_commit=False)
    app.teardown_appcontext(close_session)


def make_engine(url: str, **options) -> Engine:
    """An engine for `url` that checks connections before use; SQLite enforces foreign keys, as PostgreSQL does."""
    engine = create_engine(url, pool_pre_ping=True, **options)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _enable_sqlite_foreign_keys)
    return engine


def _enable_sqlite_foreign_keys(connection, _record) -> None:
    connection.execute("PRAGMA foreign_keys = ON")


def get_engine(app: Flask | None = None) -> Engine:
    return (app or current_app).extensions["certguard.engine"]


def db_session() -> Session:
    """The session of the current app context (request, job or CLI command), created on first use."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["certguard.sessions"]()
    return g.db_session


def close_session(_exc: BaseException | None = None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


def alembic_config(url: str) -> AlembicConfig:
    """Alembic's configuration for `url`, without an alembic.ini: the scripts ship inside the package."""
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str) -> None:
    """Run `alembic upgrade head` on the database at `url`."""
    command.upgrade(alembic_config(url), "head")
