"""The application factory: configuration from the environment, and what lands in the data directory."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

import pytest
import yaml
from flask import Flask
from huey import RedisHuey, SqliteHuey

from service import create_app, resolve_locations
from service.db import get_engine
from service.jobs import get_jobs
from service.pipeline import get_kinds
from service.storage import get_storage, new_key
from verification.kinds import BUILTIN_DIR, KindFileError


def test_testing_mode_only_when_asked(app):
    assert app.testing
    plain = create_app({"CERTGUARD_DATA_DIR": app.config["CERTGUARD_DATA_DIR"], "CERTGUARD_DATABASE_URL": None,
                        "CERTGUARD_REDIS_URL": None, "CERTGUARD_KINDS_DIR": None})
    assert not plain.testing
    get_engine(plain).dispose()


def test_the_data_directory_defaults_to_the_instance_folder(tmp_path):
    app = Flask("service", instance_path=str(tmp_path / "instance"))
    app.config.update(CERTGUARD_DATA_DIR=None, CERTGUARD_DATABASE_URL=None, SECRET_KEY=None, CERTGUARD_STORAGE_KEY=None)
    resolve_locations(app)
    assert app.config["CERTGUARD_DATA_DIR"] == str(tmp_path / "instance")
    assert app.config["CERTGUARD_DATABASE_URL"] == f"sqlite:///{tmp_path / 'instance' / 'certguard.db'}"


def test_a_generated_secret_key_is_private_and_kept(tmp_path, make_app):
    first = make_app(tmp_path, SECRET_KEY=None)
    key_file = tmp_path / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(first.secret_key) == 64
    assert make_app(tmp_path, SECRET_KEY=None).secret_key == first.secret_key
    assert make_app(tmp_path, SECRET_KEY="given").secret_key == "given"


def test_the_key_of_stored_originals_is_generated_private_and_kept_or_given(tmp_path, make_app, png):
    first = make_app(tmp_path / "data")
    key_file = tmp_path / "data" / "storage_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert first.config["CERTGUARD_STORAGE_KEY"] == key_file.read_text(encoding="ascii")
    with first.app_context():
        stored = get_storage().put(png)
    with make_app(tmp_path / "data").app_context():
        assert get_storage().open(stored) == png
    given = new_key()
    assert make_app(tmp_path / "other", CERTGUARD_STORAGE_KEY=given).config["CERTGUARD_STORAGE_KEY"] == given
    assert not (tmp_path / "other" / "storage_key").exists()


def test_config_comes_from_the_environment(tmp_path):
    env = {**os.environ, "CERTGUARD_DATA_DIR": str(tmp_path), "CERTGUARD_SECRET_KEY": "k", "CERTGUARD_STORAGE_KEY": "f",
           "CERTGUARD_REDIS_URL": "redis://example.invalid:6379/3", "CERTGUARD_KINDS_DIR": str(tmp_path / "kinds"),
           "CERTGUARD_MAX_CONTENT_LENGTH": "1234"}
    script = ("import json; from service.config import Config as C; print(json.dumps([C.CERTGUARD_DATA_DIR, "
              "C.SECRET_KEY, C.CERTGUARD_STORAGE_KEY, C.CERTGUARD_REDIS_URL, C.CERTGUARD_KINDS_DIR, "
              "C.MAX_CONTENT_LENGTH]))")
    output = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    assert json.loads(output.stdout) == [str(tmp_path), "k", "f", "redis://example.invalid:6379/3",
                                         str(tmp_path / "kinds"), 1234]


def test_the_job_queue_is_sqlite_unless_redis_is_configured(tmp_path, make_app):
    with make_app(tmp_path / "a").app_context():
        huey = get_jobs().huey
        assert isinstance(huey, SqliteHuey) and huey.storage.filename == str(tmp_path / "a" / "jobs.db")
    with make_app(tmp_path / "b", CERTGUARD_REDIS_URL="redis://127.0.0.1:6379/0").app_context():
        assert isinstance(get_jobs().huey, RedisHuey)


def test_extra_kind_files_are_loaded(tmp_path, make_app):
    kind = yaml.safe_load((BUILTIN_DIR / "special_operation.yaml").read_text(encoding="utf-8"))
    kind["id"] = "provincial_variant"
    (tmp_path / "kinds").mkdir()
    (tmp_path / "kinds" / "provincial_variant.yaml").write_text(yaml.safe_dump(kind, allow_unicode=True))
    with make_app(tmp_path / "data", CERTGUARD_KINDS_DIR=str(tmp_path / "kinds")).app_context():
        assert "provincial_variant" in get_kinds() and "special_operation" in get_kinds()


def test_a_broken_kind_file_stops_the_app_at_start(tmp_path, make_app):
    (tmp_path / "kinds").mkdir()
    (tmp_path / "kinds" / "broken.yaml").write_text("id: broken\n")
    with pytest.raises(KindFileError, match="broken.yaml"):
        make_app(tmp_path / "data", CERTGUARD_KINDS_DIR=str(tmp_path / "kinds"))
