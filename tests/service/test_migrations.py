"""The Alembic scripts and the models describe the same schema, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, Table, inspect, text
from sqlalchemy.exc import DatabaseError

from service.cli import cli
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


def test_0002_keeps_the_number_each_earlier_check_read(db_app):
    """Checks stored before 0002 get their contract's number, so later checks find them as duplicates."""
    url = db_app.config["CERTGUARD_DATABASE_URL"]
    get_engine(db_app).dispose()
    command.downgrade(alembic_config(url), "0001")
    engine = make_engine(url)
    try:
        assert "number" not in {column["name"] for column in inspect(engine).get_columns("checks")}
        users, checks = (Table(name, MetaData(), autoload_with=engine) for name in ("users", "checks"))
        common = {"user_id": 1, "source": "x", "sha256": "0" * 64, "storage_key": "k", "media_type": "image/png",
                  "as_of": date(2026, 1, 1), "created_at": datetime.now(UTC)}
        with engine.begin() as connection:
            connection.execute(users.insert().values(id=1, username="ines", role="inspector",
                                                     created_at=datetime.now(UTC)))
            connection.execute(checks.insert(), [
                {**common, "id": 1, "state": "done", "scheme": "special_operation",
                 "result": {"fields": {"number": "T11010519491231002X"}}},
                {**common, "id": 2, "state": "done", "scheme": "special_operation",
                 "result": {"fields": {"number": None}}},  # read below the threshold
                {**common, "id": 3, "state": "done", "scheme": None, "result": {"fields": {"number": "12345678901"}}},
                {**common, "id": 4, "state": "queued", "scheme": None, "result": None},
            ])
    finally:
        upgrade(url)
    with engine.connect() as connection:
        numbers = dict(connection.execute(text("SELECT id, number FROM checks ORDER BY id")).all())
    engine.dispose()
    assert numbers == {1: "T11010519491231002X", 2: None, 3: None, 4: None}


def test_db_upgrade_command_on_each_database(db_app):
    result = db_app.test_cli_runner().invoke(cli, ["db", "upgrade"])
    assert result.exit_code == 0 and "up to date" in result.output, result.output
    heads = ScriptDirectory.from_config(alembic_config(db_app.config["CERTGUARD_DATABASE_URL"])).get_heads()
    with get_engine(db_app).connect() as connection:
        assert MigrationContext.configure(connection).get_current_heads() == tuple(heads)


def test_0003_adds_and_removes_the_batch_tables(db_app):
    url = db_app.config["CERTGUARD_DATABASE_URL"]
    get_engine(db_app).dispose()
    command.downgrade(alembic_config(url), "0002")
    engine = make_engine(url)
    try:
        assert not {"batches", "batch_items"} & set(inspect(engine).get_table_names())
    finally:
        upgrade(url)
    with engine.connect() as connection:
        assert {"batches", "batch_items"} <= set(inspect(connection).get_table_names())
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    engine.dispose()


def test_0004_adds_and_removes_the_audit_table_with_its_guard(db_app):
    url = db_app.config["CERTGUARD_DATABASE_URL"]
    get_engine(db_app).dispose()
    command.downgrade(alembic_config(url), "0003")
    engine = make_engine(url)
    try:
        assert "audit_events" not in inspect(engine).get_table_names()
    finally:
        upgrade(url)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO audit_events (at, action) VALUES (:at, 'export')"),
                           {"at": datetime.now(UTC)})
    with engine.connect() as connection, pytest.raises(DatabaseError, match="append-only"):
        connection.execute(text("DELETE FROM audit_events"))
    engine.dispose()


def test_0005_indexes_the_finding_codes_of_earlier_checks(db_app):
    url = db_app.config["CERTGUARD_DATABASE_URL"]
    get_engine(db_app).dispose()
    command.downgrade(alembic_config(url), "0004")
    engine = make_engine(url)
    try:
        assert not {"finding_codes", "reviews", "decisions"} & set(inspect(engine).get_table_names())
        users, checks = (Table(name, MetaData(), autoload_with=engine) for name in ("users", "checks"))
        common = {"user_id": 1, "source": "x", "sha256": "0" * 64, "storage_key": "k", "media_type": "image/png",
                  "as_of": date(2026, 1, 1), "created_at": datetime.now(UTC), "state": "done"}
        findings = [{"code": "TAMPERING"}, {"code": "DUPLICATE_NUMBER"}, {"code": "TAMPERING"}]
        with engine.begin() as connection:
            connection.execute(users.insert().values(id=1, username="ines", role="inspector",
                                                     created_at=datetime.now(UTC)))
            connection.execute(checks.insert(), [{**common, "id": 1, "result": {"findings": findings}},
                                                 {**common, "id": 2, "result": {"findings": []}},
                                                 {**common, "id": 3, "state": "queued", "result": None}])
    finally:
        upgrade(url)
    with engine.connect() as connection:
        codes = connection.execute(text("SELECT check_id, code FROM finding_codes ORDER BY check_id, code")).all()
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    engine.dispose()
    assert [tuple(row) for row in codes] == [(1, "DUPLICATE_NUMBER"), (1, "TAMPERING")]


def test_0006_gives_earlier_checks_and_batches_no_unit_and_keeps_every_row_both_ways(db_app):
    """The unit columns are added to tables others refer to (SQLite copies such a table in batch mode):
    no referring row may be lost going up or down."""
    url = db_app.config["CERTGUARD_DATABASE_URL"]
    get_engine(db_app).dispose()
    command.downgrade(alembic_config(url), "0005")
    engine = make_engine(url)
    counted = ("checks", "batches", "batch_items", "finding_codes", "reviews")
    try:
        assert not {"districts", "units", "ledger_entries", "report_figures"} & set(inspect(engine).get_table_names())
        tables = {name: Table(name, MetaData(), autoload_with=engine) for name in ("users", *counted)}
        now = datetime.now(UTC)
        with engine.begin() as connection:
            connection.execute(tables["users"].insert().values(id=1, username="ines", role="inspector", created_at=now))
            connection.execute(tables["checks"].insert().values(
                id=1, user_id=1, source="x", sha256="0" * 64, storage_key="k", media_type="image/png",
                as_of=date(2026, 1, 1), created_at=now, state="done", verdict="suspect", result={"findings": []}))
            connection.execute(tables["batches"].insert().values(
                id=1, user_id=1, source="cards.zip", created_at=now, as_of=date(2026, 1, 1), state="done", done=1,
                failed=0))
            connection.execute(tables["batch_items"].insert().values(batch_id=1, seq=0, origin="cards.zip!/a.png",
                                                                     state="done", check_id=1))
            connection.execute(tables["finding_codes"].insert().values(check_id=1, code="TAMPERING"))
            connection.execute(tables["reviews"].insert().values(check_id=1, state="open"))
    finally:
        upgrade(url)
    count = f"SELECT {', '.join(f'(SELECT COUNT(*) FROM {name})' for name in counted)}"
    with engine.connect() as connection:
        assert tuple(connection.execute(text(count)).one()) == (1, 1, 1, 1, 1)
        assert connection.execute(text("SELECT unit_id FROM checks")).scalar_one() is None
        assert connection.execute(text("SELECT unit_id FROM batches")).scalar_one() is None
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    command.downgrade(alembic_config(url), "0005")
    with engine.connect() as connection:
        assert tuple(connection.execute(text(count)).one()) == (1, 1, 1, 1, 1)
        assert "unit_id" not in {column["name"] for column in inspect(connection).get_columns("checks")}
    upgrade(url)
    engine.dispose()
