"""Roles and their permissions: one table, enforced on every route of the pages and the API."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from service.models import ROLE_PERMISSIONS, Permission, Role

README = Path(__file__).parents[2] / "README.md"
# Routes anyone may reach: the login form, the stylesheet and script, the API's own description.
PUBLIC_ENDPOINTS = {"web.login", "static", "api.openapi"}
EXPECTED = {
    "inspector": {"check"},
    "clerk": {"check", "see_all_checks", "batch", "ledger"},
    "reviewer": {"check", "see_all_checks", "review", "reveal"},
    "supervisor": {"check", "see_all_checks", "batch", "review", "assign", "reveal", "ledger", "report"},
    "admin": {"check", "see_all_checks", "batch", "audit", "districts", "ledger", "report"},
}


def test_each_role_has_exactly_its_permissions():
    assert {role.value: {p.value for p in granted} for role, granted in ROLE_PERMISSIONS.items()} == EXPECTED
    assert set(ROLE_PERMISSIONS) == set(Role)
    assert set().union(*ROLE_PERMISSIONS.values()) == set(Permission)


def test_the_readme_lists_each_roles_permissions():
    readme = README.read_text(encoding="utf-8")
    for role, granted in EXPECTED.items():
        row = re.search(rf"^\| `{role}` \|(.*)\|$", readme, re.M)
        assert row, f"README has no row for {role}"
        assert set(re.findall(r"`(\w+)`", row.group(1))) == granted, role


def concrete_path(rule) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: "1" if m.group(1).endswith("id") else "csv", rule.rule)


def test_every_route_but_the_public_ones_asks_who_is_calling(app, client):
    """Pages send strangers to the login form, the API answers 401: no route is left open by mistake."""
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(concrete_path(rule), method=method)
            if rule.endpoint.startswith("api."):
                assert response.status_code == 401, (method, rule.rule)
            else:
                assert response.status_code in {302, 400}, (method, rule.rule)  # 400: a form post without CSRF
                assert response.status_code == 400 or "/login" in response.headers["Location"], rule.rule
            checked += 1
    assert checked >= 10


@pytest.mark.parametrize("role", [role.value for role in Role])
def test_the_api_grants_what_the_table_grants(client, make_token, role):
    token = make_token(role)
    assert client.get("/api/v1/checks", headers={"Authorization": f"Bearer {token}"}).status_code == 200
