"""The reviewers' pages through Flask's test client: queue, item, claims, decisions, referral sheet, audit."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
from PIL import Image
from review_helpers import ID_NUMBER, add_batch, add_flagged
from sqlalchemy import select, text
from test_pages import FULL_ID, csrf_token

from service.db import db_session
from service.models import AuditEvent, Decision, Review
from service.registry import import_records
from service.storage import get_storage
from verification.facts import RegisterRecord


def card_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (400, 250), "white").save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def inspector(make_user):
    return make_user("ines", "inspector")


@pytest.fixture
def flagged(app, inspector):
    """flagged(**options) → a flagged check (see review_helpers.add_flagged) with a photo, by inspector ines."""

    def add(**options):
        with app.app_context():
            return add_flagged(inspector, storage_key=get_storage().put(card_png()), **options)

    return add


@pytest.fixture
def as_role(client, make_user, login):
    """as_role(role, name=None) → log `client` in as a new user of that role."""

    def log_in(role: str, name: str | None = None):
        user = make_user(name or role, role)
        login(client, user.username, f"pw-{user.username}")
        return user

    return log_in


def page_text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def audit_actions(app) -> list[tuple[str, str | None, str | None]]:
    with app.app_context():
        return [(row.action, row.object_type, row.object_id)
                for row in db_session().scalars(select(AuditEvent).order_by(AuditEvent.id))]


def post(client, path: str, **form):
    return client.post(path, data={"csrf_token": csrf_token(client), **form})


@pytest.mark.parametrize("role", ["inspector", "clerk", "admin"])
def test_roles_without_review_are_refused_the_queue_and_the_items(client, flagged, as_role, role):
    check = flagged()
    as_role(role)
    for path in ("/review", f"/review/checks/{check.id}", f"/review/checks/{check.id}/referral"):
        assert client.get(path).status_code == 403, path
    assert post(client, f"/review/checks/{check.id}/decisions", decision="genuine").status_code == 403
    assert "Review</a>" not in client.get("/checks").get_data(as_text=True)


def test_the_queue_lists_flagged_items_most_severe_first_with_counts_and_filters(app, client, flagged, as_role,
                                                                                 inspector):
    with app.app_context():
        batch = add_batch(inspector)
    suspect = flagged(minutes=0, batch=batch)
    reject = flagged(verdict="reject", codes=("QR_MISMATCH",), minutes=30)
    flagged(verdict="pass", codes=(), minutes=40)
    as_role("reviewer", "li")
    page = page_text(client.get("/review"))
    assert re.findall(r'data-checks="([\d ]+)"', page) == [str(reject.id), str(suspect.id)]
    assert 'data-state-count="open">2<' in page and "Review</a>" in page
    assert not FULL_ID.search(page) and "T11010*********002X" in page
    assert re.findall(r'data-checks="([\d ]+)"', page_text(client.get("/review?code=QR_MISMATCH"))) == [
        str(reject.id)]
    assert re.findall(r'data-checks="([\d ]+)"', page_text(client.get(f"/review?batch={batch.id}"))) == [
        str(suspect.id)]
    assert client.get("/review?code=NOT_A_CODE").status_code == 400
    assert client.get("/review?batch=x").status_code == 400
    assert ("view", "queue", None) in audit_actions(app)


def test_a_claim_from_the_queue_keeps_a_second_reviewer_off(app, client, flagged, as_role, make_user, login):
    check = flagged()
    as_role("reviewer", "li")
    response = post(client, f"/review/checks/{check.id}/claim", next="/review?state=claimed")
    assert response.headers["Location"] == "/review?state=claimed"
    assert "li" in page_text(client.get("/review?state=claimed"))
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    make_user("mo", "reviewer")
    login(client, "mo", "pw-mo")
    post(client, f"/review/checks/{check.id}/claim")
    page = page_text(client.get(f"/review/checks/{check.id}"))
    assert "li works this item already." in page
    assert "Confirm genuine" not in page  # no decision forms for someone else's item
    assert post(client, f"/review/checks/{check.id}/decisions", decision="genuine").status_code == 302
    with app.app_context():
        assert db_session().scalars(select(Decision)).all() == []
        assert db_session().get(Review, check.id).assignee.username == "li"


def test_a_supervisor_assigns_and_takes_back(app, client, flagged, as_role, make_user):
    check = flagged()
    make_user("li", "reviewer")
    as_role("supervisor", "chen")
    post(client, f"/review/checks/{check.id}/claim", assignee="li")
    with app.app_context():
        assert db_session().get(Review, check.id).assignee.username == "li"
    post(client, f"/review/checks/{check.id}/release")
    with app.app_context():
        assert (db_session().get(Review, check.id).assignee, db_session().get(Review, check.id).state) == (None,
                                                                                                           "open")
    assert [action for action, *_ in audit_actions(app) if action in {"assign", "release"}] == ["assign", "release"]


def test_the_item_page_draws_each_region_and_sets_evidence_side_by_side(app, client, flagged, as_role):
    check = flagged(codes=("REGISTRY_MISMATCH", "TAMPERING"), verdict="reject")
    register = RegisterRecord("special_operation", f"T{ID_NUMBER}", "张四", ID_NUMBER, "电工作业", "低压电工作业",
                              date(2022, 3, 1), date(2028, 2, 29), "北京市应急管理局", "valid")
    with app.app_context():
        import_records(db_session(), [register], "extract.csv")
    as_role("reviewer", "li")
    page = page_text(client.get(f"/review/checks/{check.id}"))
    regions = re.findall(r'<rect x="(\d+)" y="(\d+)" width="(\d+)" height="(\d+)">', page)
    assert regions == [("10", "20", "120", "30"), ("50", "20", "120", "30")]
    assert 'data-regions-for="regions-' in page and f'src="/checks/{check.id}/image"' in page
    name_row = re.search(r'<tr class="([^"]*)"\s+data-field="name">(.*?)</tr>', page, re.S)
    assert "differs" in name_row.group(1) and "张三" in name_row.group(2) and "张四" in name_row.group(2)
    assert re.search(r'data-field="id_number">.*?110105\*{8}002X.*?110105\*{8}002X', page, re.S)
    assert "The register marks this certificate <strong>valid</strong>" in page
    assert not FULL_ID.search(page)
    assert ("view", "check", str(check.id)) in audit_actions(app)


def test_a_duplicate_group_shows_every_card_side_by_side(client, flagged, as_role):
    first = flagged(codes=("DUPLICATE_NUMBER",), name="张三")
    second = flagged(codes=("DUPLICATE_NUMBER",), name="李四", id_number="110105194912310038", minutes=5)
    as_role("reviewer", "li")
    page = page_text(client.get(f"/review/checks/{second.id}"))
    assert re.findall(r'class="group-card[^"]*" data-check="(\d+)"', page) == [str(first.id), str(second.id)]
    assert "张三" in page and "李四" in page and "110105********0038" in page and "Claim all 2 cards" in page
    assert not FULL_ID.search(page)


def test_decisions_from_the_forms(app, client, flagged, as_role):
    forged, referred = flagged(), flagged(minutes=1)
    as_role("reviewer", "li")
    response = post(client, f"/review/checks/{forged.id}/decisions", decision="counterfeit", category="lent",
                    note="card of T110105194912310038 lent")
    assert response.headers["Location"] == f"/review/checks/{forged.id}"
    page = page_text(client.get(f"/review/checks/{forged.id}"))
    assert "Recorded: counterfeit." in page and "转借·转让" in page and "T11010*********0038" in page
    post(client, f"/review/checks/{referred.id}/decisions", decision="counterfeit")
    assert "&#39;category&#39; must be one of" in page_text(client.get(f"/review/checks/{referred.id}"))
    post(client, f"/review/checks/{referred.id}/decisions", decision="refer", authority="北京市应急管理局")
    with app.app_context():
        assert [(d.check_id, d.decision) for d in db_session().scalars(select(Decision).order_by(Decision.id))] == [
            (forged.id, "counterfeit"), (referred.id, "refer")]
        assert db_session().get(Review, referred.id).state == "referred"


def test_the_referral_sheet_names_the_authority_the_query_site_and_the_evidence(app, client, flagged, as_role):
    check = flagged(codes=("REGISTRY_NOT_FOUND",))
    as_role("reviewer", "li")
    post(client, f"/review/checks/{check.id}/decisions", decision="refer", authority="北京市西城区应急管理局")
    page = page_text(client.get(f"/review/checks/{check.id}/referral"))
    assert '<dd class="addressee">北京市西城区应急管理局</dd>' in page
    assert 'href="https://cx.mem.gov.cn/"' in page and "特种作业操作证 (应急管理部)" in page
    assert "REGISTRY_NOT_FOUND" in page and "张三" in page and "110105********002X" in page
    assert not FULL_ID.search(page)
    assert ("export", "check", str(check.id)) in audit_actions(app)
    revealed = post(client, f"/review/checks/{check.id}/referral", purpose="letter to 西城区应急管理局")
    assert ID_NUMBER in page_text(revealed)
    with app.app_context():
        reveal = db_session().scalars(select(AuditEvent).where(AuditEvent.action == "reveal")).one()
        assert (reveal.purpose, reveal.detail) == ("letter to 西城区应急管理局", {"document": "referral sheet"})


def test_only_flagged_checks_have_an_item_page_and_their_result_page_links_it(client, flagged, as_role):
    passed, suspect = flagged(verdict="pass", codes=()), flagged()
    as_role("reviewer")
    assert client.get(f"/review/checks/{passed.id}").status_code == 404
    assert client.get("/review/checks/999").status_code == 404
    assert f'href="/review/checks/{suspect.id}"' in page_text(client.get(f"/checks/{suspect.id}"))
    assert "Review this check" not in page_text(client.get(f"/checks/{passed.id}"))


def test_admins_browse_filter_and_export_the_audit_trail_masked(app, client, flagged, as_role, make_user, login):
    check = flagged()
    make_user("li", "reviewer")
    login(client, "li", "pw-li")
    post(client, f"/checks/{check.id}", purpose=f"asked by the holder, ID {ID_NUMBER}")
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    as_role("admin", "root")
    page = page_text(client.get("/audit"))
    assert 'data-action="reveal"' in page and "asked by the holder, ID 110105********002X" in page
    assert not FULL_ID.search(page)
    assert 'data-action="login"' not in page_text(client.get("/audit?action=reveal"))
    assert client.get("/audit?action=delete").status_code == 400
    export = client.get("/audit.csv?action=reveal")
    assert export.headers["Content-Disposition"] == 'attachment; filename="certguard-audit.csv"'
    rows = list(csv.DictReader(io.StringIO(export.get_data(as_text=True))))
    assert [(row["actor"], row["action"], row["object_id"]) for row in rows] == [("li", "reveal", str(check.id))]
    assert not FULL_ID.search(export.get_data(as_text=True))
    assert audit_actions(app)[-1] == ("export", "audit", None)
    for method in ("PUT", "DELETE", "PATCH"):
        assert client.open("/audit", method=method).status_code == 405


@pytest.mark.parametrize("role", ["reviewer", "supervisor", "clerk", "inspector"])
def test_only_admins_read_the_audit_trail(client, as_role, role):
    as_role(role)
    assert client.get("/audit").status_code == 403 and client.get("/audit.csv").status_code == 403


def test_a_decision_whose_audit_row_cannot_be_written_is_not_kept(app, client, flagged, as_role):
    check = flagged()
    as_role("reviewer", "li")
    post(client, f"/review/checks/{check.id}/claim")
    token = csrf_token(client, f"/review/checks/{check.id}")
    with app.app_context():
        db_session().execute(text("ALTER TABLE audit_events RENAME TO audit_events_away"))
        db_session().commit()
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.post(f"/review/checks/{check.id}/decisions", data={"csrf_token": token,
                                                                        "decision": "genuine"})
    assert response.status_code == 500
    with app.app_context():
        assert db_session().scalars(select(Decision)).all() == []
        assert db_session().get(Review, check.id).state == "claimed"
