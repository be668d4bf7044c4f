"""Accounts: hashed passwords, hashed API tokens, permissions on pages, and the first administrator."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from service.auth import authenticate, bootstrap_admin, create_user, issue_token, permission_required, user_for_token
from service.db import db_session
from service.models import ApiToken, Permission, User


def test_passwords_are_hashed_and_checked(db_app):
    with db_app.app_context():
        create_user("ines", "inspector", "correct horse")
        stored = db_session().scalars(select(User.password_hash)).one()
        assert "correct horse" not in stored
        assert authenticate("ines", "correct horse").username == "ines"
        assert authenticate("ines", "wrong") is None
        assert authenticate("nobody", "correct horse") is None


def test_accounts_without_a_password_cannot_log_in(app):
    with app.app_context():
        create_user("cli", "inspector")
        assert authenticate("cli", "") is None


def test_only_the_tokens_hash_is_stored(db_app):
    with db_app.app_context():
        user = create_user("bot", "clerk")
        token = issue_token(user)
        (stored,) = db_session().scalars(select(ApiToken.token_sha256))
        assert stored == hashlib.sha256(token.encode()).hexdigest() and token not in stored
        assert user_for_token(token).username == "bot"
        assert user_for_token(token + "x") is None


@pytest.mark.parametrize("name", ["", "a b", "../x", "-lead", "é", "x" * 81])
def test_usernames_are_plain(app, name):
    with app.app_context(), pytest.raises(ValueError):
        create_user(name, "inspector", "pw")


def test_usernames_are_unique(app):
    with app.app_context():
        create_user("ines", "inspector", "pw")
        with pytest.raises(ValueError, match="already exists"):
            create_user("ines", "admin", "pw")


def test_the_first_administrator_is_created_once(app):
    with app.app_context():
        create_user("cli", "inspector")  # a system account does not count: nobody can log in yet
        password = bootstrap_admin()
        assert password and authenticate("admin", password).role == "admin"
        assert bootstrap_admin() is None


def test_no_administrator_is_invented_when_people_can_log_in(app):
    with app.app_context():
        create_user("ines", "inspector", "pw")
        assert bootstrap_admin() is None
        assert db_session().scalars(select(User).where(User.username == "admin")).first() is None


def test_pages_need_a_login_then_the_permission(app, make_user, login):
    app.add_url_rule("/only-supervisors", "only_supervisors", permission_required(Permission.assign)(lambda: "ok"))
    anonymous, inspector, supervisor = app.test_client(), app.test_client(), app.test_client()
    make_user("ines", "inspector")
    make_user("sam", "supervisor")
    login(inspector, "ines", "pw-ines")
    login(supervisor, "sam", "pw-sam")
    assert anonymous.get("/only-supervisors").headers["Location"].startswith("/login")
    assert inspector.get("/only-supervisors").status_code == 403
    assert supervisor.get("/only-supervisors").get_data(as_text=True) == "ok"
