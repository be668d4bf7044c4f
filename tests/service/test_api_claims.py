"""Claims, assignments and releases over the API, as the reviewers' pages offer them: documented answers,
roles enforced, refusals as stable error codes, and one audit row for each act."""

from __future__ import annotations

import pytest
from api_helpers import bearer
from sqlalchemy import select

from service.db import db_session
from service.models import AuditEvent, Review


@pytest.fixture
def assert_receipt(openapi):
    """assert_receipt(response, check, state, assignees): a 200 answer as documented, saying that."""

    def check(response, check_id: int, state: str, assignees: list[str]) -> None:
        assert response.status_code == 200, response.get_data(as_text=True)
        openapi.validate(response.json, "ClaimReceipt")
        assert response.json == {"check": check_id, "state": state, "assignees": assignees}

    return check


def claim(client, token: str, check: int | str, **body):
    return client.post(f"/api/v1/checks/{check}/claim", headers=bearer(token), **({"json": body} if body else {}))


def release(client, token: str, check: int | str):
    return client.post(f"/api/v1/checks/{check}/release", headers=bearer(token))


def audit_rows(app) -> list[tuple[str, str | None, str | None, dict | None]]:
    """The claim, assign and release rows, oldest first: (action, actor, object_id, detail)."""
    with app.app_context():
        return [(row.action, row.actor, row.object_id, row.detail) for row in db_session().scalars(
            select(AuditEvent).where(AuditEvent.action.in_(["claim", "assign", "release"])).order_by(AuditEvent.id))]


def held_by(app, check: int) -> tuple[str | None, str] | None:
    with app.app_context():
        review = db_session().get(Review, check)
        return (review.assignee.username if review.assignee else None, review.state) if review else None


def queue_item(client, token: str, check: int) -> dict:
    items = client.get("/api/v1/queue?state=all", headers=bearer(token)).json["items"]
    return next(item for item in items if check in item["checks"])


def test_a_reviewer_claims_a_free_item_and_the_queue_shows_them(app, client, make_token, flagged, assert_receipt,
                                                               openapi):
    token, check = make_token("reviewer", "li"), flagged()
    assert_receipt(claim(client, token, check), check, "claimed", ["li"])
    item = queue_item(client, token, check)
    openapi.validate(item, "QueueItem")
    assert (item["state"], item["assignees"]) == ("claimed", ["li"])
    assert_receipt(claim(client, token, check), check, "claimed", ["li"])  # already theirs: still theirs
    assert [row[:3] for row in audit_rows(app)] == [("claim", "li", str(check)), ("claim", "li", str(check))]
    assert audit_rows(app)[0][3] == {"checks": [check], "assignee": "li"}


def test_an_empty_object_is_a_claim_for_the_caller(client, make_token, flagged, assert_receipt):
    check = flagged()
    response = client.post(f"/api/v1/checks/{check}/claim", headers=bearer(make_token("supervisor", "chen")), json={})
    assert_receipt(response, check, "claimed", ["chen"])


def test_a_second_reviewer_cannot_claim_an_item_someone_holds(app, client, make_token, flagged, assert_error):
    check = flagged()
    claim(client, make_token("reviewer", "li"), check)
    assert_error(claim(client, make_token("reviewer", "mo"), check), 409, "claimed")
    assert held_by(app, check) == ("li", "claimed")
    assert [row[:2] for row in audit_rows(app)] == [("claim", "li")]


def test_a_claim_takes_a_duplicate_group_whole(client, make_token, flagged, assert_receipt):
    first = flagged(codes=("DUPLICATE_NUMBER",))
    second = flagged(codes=("DUPLICATE_NUMBER",), name="李四", id_number="110105194912310038", minutes=3)
    token = make_token("reviewer", "li")
    assert_receipt(claim(client, token, second), second, "claimed", ["li"])
    item = queue_item(client, token, first)
    assert (item["checks"], item["state"], item["assignees"]) == ([first, second], "claimed", ["li"])


def test_the_holder_releases_the_item_and_it_is_open_again(app, client, make_token, flagged, assert_receipt):
    token, check = make_token("reviewer", "li"), flagged()
    claim(client, token, check)
    assert_receipt(release(client, token, check), check, "open", [])
    item = queue_item(client, token, check)
    assert (item["state"], item["assignees"]) == ("open", [])
    assert held_by(app, check) == (None, "open")
    assert [row[:3] for row in audit_rows(app)] == [("claim", "li", str(check)), ("release", "li", str(check))]
    assert_receipt(claim(client, make_token("reviewer", "mo"), check), check, "claimed", ["mo"])  # free again


def test_nobody_else_releases_a_reviewers_item_nor_a_free_one(app, client, make_token, flagged, assert_error):
    held, free = flagged(), flagged(minutes=1)
    claim(client, make_token("reviewer", "li"), held)
    other = make_token("reviewer", "mo")
    assert_error(release(client, other, held), 409, "not_claimed")
    assert_error(release(client, other, free), 409, "not_claimed")
    assert held_by(app, held) == ("li", "claimed")
    assert [row[:2] for row in audit_rows(app)] == [("claim", "li")]


def test_a_referred_item_stays_referred_when_released(client, make_token, flagged, assert_receipt):
    token, check = make_token("reviewer", "li"), flagged()
    client.post(f"/api/v1/checks/{check}/decisions", headers=bearer(token), json={"decision": "refer"})
    assert_receipt(release(client, token, check), check, "referred", [])


def test_a_supervisor_assigns_reassigns_and_takes_back(app, client, make_token, flagged, assert_receipt):
    supervisor, check = make_token("supervisor", "chen"), flagged()
    make_token("reviewer", "li")
    mo = make_token("reviewer", "mo")
    assert_receipt(claim(client, supervisor, check, assignee="li"), check, "claimed", ["li"])
    assert held_by(app, check) == ("li", "claimed")
    assert_receipt(claim(client, supervisor, check, assignee="mo"), check, "claimed", ["mo"])  # whoever has it
    assert_receipt(release(client, supervisor, check), check, "open", [])
    rows = audit_rows(app)
    assert [row[:3] for row in rows] == [("assign", "chen", str(check)), ("assign", "chen", str(check)),
                                         ("release", "chen", str(check))]
    assert [row[3] for row in rows] == [{"checks": [check], "assignee": "li"}, {"checks": [check], "assignee": "mo"},
                                        {"checks": [check]}]
    assert_receipt(claim(client, mo, check), check, "claimed", ["mo"])


@pytest.mark.parametrize("assignee", ["mo", "nobody"])
def test_a_reviewer_may_not_assign(app, client, make_token, flagged, assert_error, assignee):
    """Refused before the name is looked up, so a reviewer cannot learn which usernames exist."""
    token, check = make_token("reviewer", "li"), flagged()
    make_token("reviewer", "mo")
    assert_error(claim(client, token, check, assignee=assignee), 403, "forbidden")
    assert held_by(app, check) is None and audit_rows(app) == []


@pytest.mark.parametrize("assignee", ["ines", "nobody"])  # an inspector may not review; nobody is no user
def test_an_assignee_who_cannot_take_the_item_is_400(app, client, make_token, flagged, assert_error, assignee):
    check = flagged()
    assert_error(claim(client, make_token("supervisor", "chen"), check, assignee=assignee), 400, "invalid_assignee")
    assert (held_by(app, check) or (None,))[0] is None and audit_rows(app) == []


def test_an_unknown_check_is_404_and_one_not_flagged_is_409(client, make_token, flagged, assert_error):
    token, passed = make_token("supervisor", "chen"), flagged(verdict="pass", codes=())
    assert_error(claim(client, token, 999), 404, "not_found")
    assert_error(claim(client, token, 999, assignee="chen"), 404, "not_found")
    assert_error(release(client, token, 999), 404, "not_found")
    assert_error(claim(client, token, passed), 409, "not_flagged")
    assert_error(release(client, token, passed), 409, "not_flagged")


@pytest.mark.parametrize("role", ["inspector", "clerk", "admin"])
def test_roles_without_review_may_neither_claim_nor_release(app, client, make_token, flagged, assert_error, role):
    token, check = make_token(role), flagged()
    assert_error(claim(client, token, check), 403, "forbidden")
    assert_error(release(client, token, check), 403, "forbidden")
    assert held_by(app, check) is None and audit_rows(app) == []


def test_without_a_token_it_is_401(client, flagged, assert_error):
    check = flagged()
    assert_error(client.post(f"/api/v1/checks/{check}/claim"), 401, "unauthorized")
    assert_error(client.post(f"/api/v1/checks/{check}/release"), 401, "unauthorized")


@pytest.mark.parametrize(("options", "message"), [
    ({"json": ["li"]}, "JSON object"),
    ({"json": "li"}, "JSON object"),
    ({"data": "null", "content_type": "application/json"}, "JSON object"),
    ({"data": "{assignee: li}", "content_type": "application/json"}, "JSON object"),
    ({"data": "assignee=li", "content_type": "application/x-www-form-urlencoded"}, "JSON object"),
    ({"json": {"assignee": "li", "note": "urgent"}}, "Unknown keys: 'note'"),
    ({"json": {"reviewer": "li"}}, "Unknown keys: 'reviewer'"),
    ({"json": {"11010519491231002X": "li"}}, "Unknown keys: '110105********002X'"),
    ({"json": {"assignee": 7}}, "'assignee' must be a reviewer's username"),
    ({"json": {"assignee": ""}}, "'assignee' must be a reviewer's username"),
    ({"json": {"assignee": None}}, "'assignee' must be a reviewer's username"),
])
def test_a_bad_body_is_400_and_changes_nothing(app, client, make_token, flagged, assert_error, options, message):
    token, check = make_token("supervisor", "chen"), flagged()
    make_token("reviewer", "li")
    response = client.post(f"/api/v1/checks/{check}/claim", headers=bearer(token), **options)
    assert_error(response, 400, "invalid_body")
    assert message in response.json["error"]["message"]
    assert held_by(app, check) is None and audit_rows(app) == []
