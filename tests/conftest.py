"""Fixtures for tests of the Flask service: apps on a fresh data directory, users, logins, tokens, and
card readings standing in for the OCR stage.

`app` runs on SQLite. `db_app` runs the same test on SQLite and on the real PostgreSQL at
127.0.0.1:5432 (a database created for this test session and dropped after it); `redis_url`
points at the real Redis at 127.0.0.1:6379. Either is skipped, with the reason, when its server
cannot be reached.
"""

from __future__ import annotations

import io
import os
import re
import secrets
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NoReturn

import psycopg
import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import text

from ocr.load import load_image
from service import create_app, pipeline
from service.analysis import Analysis
from service.auth import create_user, issue_token
from service.config import TestConfig
from service.db import db_session, get_engine, upgrade
from service.models import Base, User
from verification.reading import CardReading, CheckContext
from verification.verify import contract, verify

POSTGRES = "127.0.0.1:5432"
POSTGRES_USERS = ("root", "postgres")
REDIS_URL = "redis://127.0.0.1:6379/0"


def build_app(data_dir: Path, migrated_sqlite: Path, **settings: object) -> Flask:
    """A fresh app in testing mode whose data (database, originals, job queue) lives in `data_dir`.

    Its SQLite database starts as a copy of `migrated_sqlite`: the app still runs the upgrade at
    start, which then has nothing to do, so each test saves a full migration.
    """
    database = data_dir / "certguard.db"
    if not database.exists() and "CERTGUARD_DATABASE_URL" not in settings:
        data_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(migrated_sqlite, database)
    return create_app({**config_dict(TestConfig), "CERTGUARD_DATA_DIR": str(data_dir), **settings})


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database migrated to the head once per test session, for apps to start from."""
    path = tmp_path_factory.mktemp("template") / "certguard.db"
    upgrade(f"sqlite:///{path}")
    return path


def config_dict(config: type) -> dict[str, object]:
    return {name: getattr(config, name) for name in dir(config) if name.isupper()}


@pytest.fixture
def app(tmp_path: Path, migrated_sqlite: Path) -> Iterator[Flask]:
    app = build_app(tmp_path / "data", migrated_sqlite)
    yield app
    get_engine(app).dispose()


@pytest.fixture
def make_app(migrated_sqlite: Path) -> Iterator[Callable[..., Flask]]:
    """make_app(data_dir, **settings) → another fresh test app, for tests that need several or odd settings."""
    apps: list[Flask] = []

    def make(data_dir: Path, **settings: object) -> Flask:
        apps.append(build_app(data_dir, migrated_sqlite, **settings))
        return apps[-1]

    yield make
    for made in apps:
        get_engine(made).dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


@pytest.fixture
def make_user(app: Flask) -> Callable[..., User]:
    """make_user(username, role="inspector", password="pw-<username>") → the committed User."""
    return lambda username, role="inspector", password=None: new_user(app, username, role, password)


@pytest.fixture
def make_token(app: Flask) -> Callable[..., str]:
    """make_token(role="inspector", username=None, app=<the app fixture>) → an API token for a new user.

    The user has no password: API-only, like an integration's account.
    """
    return lambda role="inspector", username=None, app=app: new_token(app, role, username)


def new_user(app: Flask, username: str, role: str = "inspector", password: str | None = None) -> User:
    with app.app_context():
        return create_user(username, role, password or f"pw-{username}")


def new_token(app: Flask, role: str = "inspector", username: str | None = None) -> str:
    with app.app_context():
        return issue_token(create_user(username or f"{role}-{secrets.token_hex(3)}", role))


def login(client: FlaskClient, username: str, password: str):
    """Log in through the real form, CSRF token included; returns the POST's response."""
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert token, "the login form has no CSRF token"
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token.group(1)})


@pytest.fixture(name="login")
def login_fixture() -> Callable[[FlaskClient, str, str], object]:
    return login


@pytest.fixture(scope="session")
def png() -> bytes:
    """A small valid PNG with nothing on it; made here, so no real certificate is ever committed."""
    buffer = io.BytesIO()
    Image.new("RGB", (64, 40), "white").save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A database created for this test session on the local PostgreSQL, dropped afterwards."""
    admin = _postgres_admin_connection()
    name = f"certguard_test_{secrets.token_hex(4)}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://{admin.info.user}@{POSTGRES}/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def service_unavailable(reason: str) -> NoReturn:
    """Skip on a developer's machine without the server; fail in CI, where it must be running."""
    if os.environ.get("CERTGUARD_REQUIRE_SERVICES"):
        pytest.fail(reason)
    pytest.skip(reason)


def _postgres_admin_connection() -> psycopg.Connection:
    host, port = POSTGRES.split(":")
    problems = []
    for user in POSTGRES_USERS:
        try:
            return psycopg.connect(host=host, port=port, user=user, dbname="postgres", autocommit=True,
                                   connect_timeout=3)
        except psycopg.OperationalError as exc:
            problems.append(f"{user}: {str(exc).strip()}")
    service_unavailable(f"PostgreSQL at {POSTGRES} is not reachable ({'; '.join(problems)})")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_app(request: pytest.FixtureRequest, tmp_path: Path, migrated_sqlite: Path) -> Iterator[Flask]:
    """Like `app`, once on SQLite and once on PostgreSQL (emptied after each test)."""
    on_postgres = request.param == "postgresql"
    settings = {"CERTGUARD_DATABASE_URL": request.getfixturevalue("postgres_url")} if on_postgres else {}
    app = build_app(tmp_path / "data", migrated_sqlite, **settings)
    yield app
    if on_postgres:
        with app.app_context():
            tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
            db_session().execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            db_session().commit()
    get_engine(app).dispose()


@pytest.fixture
def redis_url() -> str:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        service_unavailable(f"Redis at {REDIS_URL} is not reachable ({exc})")
    return REDIS_URL


@pytest.fixture
def reads(monkeypatch) -> dict[str, CardReading]:
    """Source → what its image reads as (see card_readings.py); fill it before checking an image of
    that source. The OCR stage is replaced; the rules, storage and service run for real."""
    readings: dict[str, CardReading] = {}

    def analyse(data, source, *, kinds, facts, as_of):
        card = readings[source]
        context = CheckContext(kinds[card.fields.scheme], facts, as_of)
        return Analysis(load_image(data), contract(source, card, context, verify(card, context)))

    monkeypatch.setattr(pipeline, "analyse", analyse)
    return readings
