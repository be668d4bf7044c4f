"""Who is asking: session logins for pages, bearer tokens for the API, and for both, what their role
permits (`service.models.ROLE_PERMISSIONS`).

The API accepts only bearer tokens, never the session cookie: its blueprint is exempt from CSRF
checks, so honouring cookies there would let any site post uploads in a logged-in user's name.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from functools import cache, wraps
from typing import Any

from flask import abort, g, request
from flask_login import LoginManager, current_user, login_required
from sqlalchemy import Select, func, select
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import Unauthorized
from werkzeug.security import check_password_hash, generate_password_hash

from service.db import db_session
from service.models import ROLE_PERMISSIONS, ApiToken, Check, Permission, Role, User

USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,79}")

login_manager = LoginManager()
login_manager.login_view = "web.login"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return db_session().get(User, int(user_id))


def authenticate(username: str, password: str) -> User | None:
    """The user with this username and password, or None; system users (no password) never match."""
    user = db_session().scalars(select(User).where(User.username == username)).one_or_none()
    if user is None or user.password_hash is None:
        check_password_hash(_dummy_hash(), password)  # a miss takes as long as a wrong password
        return None
    return user if check_password_hash(user.password_hash, password) else None


@cache
def _dummy_hash() -> str:
    return generate_password_hash(secrets.token_hex(16))


def create_user(username: str, role: str, password: str | None = None) -> User:
    """Add a user (committed); without a password the account cannot log in to the pages."""
    if not USERNAME.fullmatch(username):
        raise ValueError("a username is 1-80 letters, digits, '.', '_' or '-', starting with a letter or digit")
    session = db_session()
    if session.scalars(select(User.id).where(User.username == username)).first() is not None:
        raise ValueError(f"user {username!r} already exists")
    user = User(username=username, role=Role(role),
                password_hash=generate_password_hash(password) if password else None)
    session.add(user)
    session.commit()
    return user


def issue_token(user: User) -> str:
    """A new API token for `user`. It is shown once; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    db_session().add(ApiToken(user_id=user.id, token_sha256=_token_digest(token)))
    db_session().commit()
    return token


def bootstrap_admin() -> str | None:
    """On a fresh install, create `admin` with a random password and return that password.

    Returns None when anyone can already log in, so the password is only ever told once.
    """
    if db_session().scalar(select(func.count()).select_from(User).where(User.password_hash.is_not(None))):
        return None
    password = secrets.token_urlsafe(12)
    create_user("admin", Role.admin, password)
    return password


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def user_for_token(token: str) -> User | None:
    digest = _token_digest(token)
    return db_session().scalars(select(User).join(ApiToken).where(ApiToken.token_sha256 == digest)).one_or_none()


def bearer_token() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def permission_required(permission: Permission) -> Callable:
    """For pages: log in first (redirect), then 403 unless the user's role grants `permission`."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.can(permission):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def token_required(permission: Permission) -> Callable:
    """For the API: 401 without a valid bearer token, 403 unless its user's role grants `permission`.

    The authenticated user is in `g.api_user`.
    """

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            token = bearer_token()
            user = user_for_token(token) if token else None
            if user is None:
                raise Unauthorized("A valid API token is required (Authorization: Bearer <token>).",
                                   www_authenticate=WWWAuthenticate("bearer"))
            if not user.can(permission):
                abort(403, f"The role {user.role!r} may not do this.")
            g.api_user = user
            return view(*args, **kwargs)

        return wrapped

    return decorator


def roles_with(permission: Permission) -> tuple[Role, ...]:
    """The roles whose permissions include `permission`."""
    return tuple(role for role, granted in ROLE_PERMISSIONS.items() if permission in granted)


def visible_checks(user: User) -> Select[tuple[Check]]:
    """The checks `user` may see: everyone's with `see_all_checks`, else their own."""
    query = select(Check)
    if not user.can(Permission.see_all_checks):
        query = query.where(Check.user_id == user.id)
    return query
