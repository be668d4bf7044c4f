"""certguard's web service: the application factory."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from service import db, jobs, pipeline, storage, uploads
from service.auth import login_manager
from service.config import Config

csrf = CSRFProtect()


def create_app(config: type | dict | None = None) -> Flask:
    """Build the app: `config` is a config class, or a dict of settings over `Config`."""
    app = Flask(__name__)
    app.config.from_object(Config)
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)
    resolve_locations(app)

    db.init_app(app)
    storage.init_app(app)
    pipeline.init_app(app)
    jobs.init_app(app)
    login_manager.init_app(app)
    uploads.init_app(app)  # before the CSRF check, which reads the body
    csrf.init_app(app)

    from service.api import bp as api_bp
    from service.web import bp as web_bp

    app.register_blueprint(api_bp)
    csrf.exempt(api_bp)  # bearer tokens only, see service.auth
    app.register_blueprint(web_bp)
    return app


def resolve_locations(app: Flask) -> None:
    """Fill in what defaults to the data directory: the directory itself, the database, the keys."""
    data_dir = Path(app.config["CERTGUARD_DATA_DIR"] or app.instance_path)
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    app.config["CERTGUARD_DATA_DIR"] = str(data_dir)
    app.config["CERTGUARD_DATABASE_URL"] = (app.config["CERTGUARD_DATABASE_URL"]
                                            or f"sqlite:///{data_dir / 'certguard.db'}")
    app.config["SECRET_KEY"] = app.config["SECRET_KEY"] or stored_secret(data_dir / "secret_key",
                                                                         lambda: secrets.token_hex(32))
    app.config["CERTGUARD_STORAGE_KEY"] = (app.config["CERTGUARD_STORAGE_KEY"]
                                           or stored_secret(data_dir / "storage_key", storage.new_key))


def stored_secret(path: Path, generate: Callable[[], str]) -> str:
    """The key kept in `path`, made by `generate` on first use, readable by the owner only.

    The key is written to a private temporary file and then linked into place, so a process
    starting at the same moment sees either no key or the whole key.
    """
    if not path.exists():
        draft = path.with_name(f".{path.name}.{os.getpid()}")
        with os.fdopen(os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w", encoding="ascii") as file:
            file.write(generate())
        try:
            os.link(draft, path)
        except FileExistsError:
            pass  # another process won the race; use its key
        finally:
            draft.unlink()
    return path.read_text(encoding="ascii").strip()
