"""The review queue, decisions and the audit trail over the API: shapes as documented, roles enforced."""

from __future__ import annotations

import re

import pytest
from api_helpers import bearer
from sqlalchemy import select

from service.db import db_session
from service.models import Decision, RegisterEntry

FULL_ID = re.compile(r"\d{17}[\dXx]")


def test_the_queue_is_documented_sorted_masked_and_filtered(client, make_token, flagged, openapi):
    token = make_token("reviewer")
    suspect = flagged(codes=("DUPLICATE_NUMBER",), minutes=0)
    partner = flagged(codes=("DUPLICATE_NUMBER",), name="李四", id_number="110105194912310038", minutes=3)
    reject = flagged(verdict="reject", codes=("QR_MISMATCH",), minutes=9)
    response = client.get("/api/v1/queue", headers=bearer(token))
    assert response.status_code == 200 and not FULL_ID.search(response.get_data(as_text=True))
    openapi.validate(response.json, "Queue")
    body = response.json
    assert [item["checks"] for item in body["items"]] == [[reject], [suspect, partner]]
    assert body["counts"] == {"open": 2, "claimed": 0, "referred": 0, "decided": 0} and body["total"] == 2
    group = body["items"][1]
    assert group["duplicate_group"] and group["codes"] == ["DUPLICATE_NUMBER"]
    assert [card["name"] for card in group["cards"]] == ["张三", "李四"]
    assert group["cards"][0]["number"] == "T11010*********002X"
    filtered = client.get("/api/v1/queue?code=QR_MISMATCH&limit=1", headers=bearer(token)).json
    assert [item["checks"] for item in filtered["items"]] == [[reject]] and filtered["limit"] == 1


@pytest.mark.parametrize("query", ["state=done", "kind=unknown_kind", "code=lower", "batch=-1", "district=east",
                                   "limit=0"])
def test_bad_queue_filters_are_400(client, make_token, assert_error, query):
    assert_error(client.get(f"/api/v1/queue?{query}", headers=bearer(make_token("reviewer"))), 400,
                 "invalid_parameter")


@pytest.mark.parametrize("role", ["inspector", "clerk", "admin"])
def test_roles_without_review_may_neither_read_the_queue_nor_decide(client, make_token, assert_error, flagged,
                                                                    role):
    token, check = make_token(role), flagged()
    assert_error(client.get("/api/v1/queue", headers=bearer(token)), 403, "forbidden")
    assert_error(client.post(f"/api/v1/checks/{check}/decisions", headers=bearer(token),
                             json={"decision": "genuine"}), 403, "forbidden")


def test_a_decision_is_recorded_and_documented(app, client, make_token, flagged, openapi):
    check = flagged()
    response = client.post(f"/api/v1/checks/{check}/decisions", headers=bearer(make_token("supervisor", "chen")),
                           json={"decision": "counterfeit", "category": "impersonated", "note": "photo differs"})
    assert response.status_code == 201, response.get_data(as_text=True)
    openapi.validate(response.json, "DecisionReceipt")
    assert response.json["state"] == "decided"
    assert {key: response.json["decision"][key] for key in ("decision", "category", "by", "note")} == {
        "decision": "counterfeit", "category": "impersonated", "by": "chen", "note": "photo differs"}


def test_a_genuine_answer_through_the_api_enters_the_register(app, client, make_token, flagged, openapi):
    token, check = make_token("reviewer"), flagged()
    client.post(f"/api/v1/checks/{check}/decisions", headers=bearer(token), json={"decision": "refer"})
    response = client.post(f"/api/v1/checks/{check}/decisions", headers=bearer(token),
                           json={"decision": "authority_answer", "answered_on": "2026-11-20",
                                 "reference": "京应急函〔2026〕12号", "outcome": "genuine"})
    assert response.status_code == 201
    openapi.validate(response.json, "DecisionReceipt")
    with app.app_context():
        assert db_session().scalars(select(RegisterEntry.source_file)).one().startswith("answer 京应急函〔2026〕12号")


@pytest.mark.parametrize(("body", "status", "code"), [
    (["genuine"], 400, "invalid_body"),
    ({"decision": "approve"}, 400, "invalid_decision"),
    ({"decision": "counterfeit", "category": "伪造"}, 400, "invalid_decision"),
    ({"decision": "authority_answer", "answered_on": "yesterday", "reference": "r", "outcome": "genuine"}, 400,
     "invalid_decision"),
])
def test_bad_decisions_are_refused_and_store_nothing(app, client, make_token, flagged, assert_error, body, status,
                                                     code):
    check = flagged()
    response = client.post(f"/api/v1/checks/{check}/decisions", headers=bearer(make_token("reviewer")), json=body)
    assert_error(response, status, code)
    with app.app_context():
        assert db_session().scalars(select(Decision)).all() == []


def test_a_check_claimed_by_another_or_not_flagged_or_missing_cannot_be_decided(client, make_token, flagged,
                                                                              assert_error):
    check, passed = flagged(), flagged(verdict="pass", codes=())
    client.post(f"/api/v1/checks/{check}/decisions", headers=bearer(make_token("reviewer", "li")),
                json={"decision": "refer"})
    other = make_token("reviewer", "mo")
    assert_error(client.post(f"/api/v1/checks/{check}/decisions", headers=bearer(other),
                             json={"decision": "genuine"}), 409, "claimed")
    assert_error(client.post(f"/api/v1/checks/{passed}/decisions", headers=bearer(other),
                             json={"decision": "genuine"}), 409, "not_flagged")
    assert_error(client.post("/api/v1/checks/999/decisions", headers=bearer(other), json={"decision": "genuine"}),
                 404, "not_found")


def test_admins_read_the_audit_trail_and_nobody_changes_it(client, make_token, flagged, openapi, assert_error):
    reviewer, admin = make_token("reviewer", "li"), make_token("admin", "root")
    check = flagged()
    client.post(f"/api/v1/checks/{check}/decisions", headers=bearer(reviewer), json={"decision": "genuine"})
    response = client.get("/api/v1/audit?action=decision", headers=bearer(admin))
    assert response.status_code == 200
    openapi.validate(response.json, "AuditList")
    [row] = response.json["items"]
    assert (row["actor"], row["action"], row["object_type"], row["object_id"]) == ("li", "decision", "check",
                                                                                   str(check))
    one = client.get(f"/api/v1/audit/{row['id']}", headers=bearer(admin))
    openapi.validate(one.json, "AuditEvent")
    assert one.json == row
    assert_error(client.get("/api/v1/audit", headers=bearer(reviewer)), 403, "forbidden")
    assert_error(client.get("/api/v1/audit?action=erase", headers=bearer(admin)), 400, "invalid_parameter")
    for method in ("PUT", "DELETE", "PATCH"):
        for path in ("/api/v1/audit", f"/api/v1/audit/{row['id']}"):
            assert_error(client.open(path, method=method, headers=bearer(admin), json={}), 405,
                         "method_not_allowed")
    assert client.get(f"/api/v1/audit/{row['id']}", headers=bearer(admin)).json == row
