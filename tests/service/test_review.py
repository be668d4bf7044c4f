"""The review queue, claims and decisions on SQLite and PostgreSQL, below the pages and the API."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from card_readings import AS_OF, reading
from review_helpers import ID_NUMBER, add_batch, add_flagged
from sqlalchemy import select

from service.auth import create_user
from service.db import db_session
from service.districts import add_district, add_unit
from service.models import AuditEvent, Check, Decision, FindingCode, RegisterEntry, Review
from service.pipeline import run_check
from service.registry import import_records
from service.review import QueueFilters, ReviewRefused, claim, decide, query_addresses, queue, release
from verification.facts import RegisterRecord
from verification.kinds import load_kinds


@pytest.fixture
def people(db_app):
    with db_app.app_context():
        yield {name: create_user(name, role) for name, role in
               [("ines", "inspector"), ("li", "reviewer"), ("mo", "reviewer"), ("chen", "supervisor")]}


def ids(items) -> list[list[int]]:
    return [item.check_ids for item in items]


def test_the_queue_holds_flagged_checks_rejects_first_then_the_longest_waiting(db_app, people):
    ines = people["ines"]
    old_suspect = add_flagged(ines, minutes=0)
    new_reject = add_flagged(ines, verdict="reject", codes=("QR_MISMATCH",), minutes=20)
    old_reject = add_flagged(ines, verdict="reject", codes=("EXPIRED",), minutes=10)
    add_flagged(ines, verdict="pass", codes=(), minutes=5)
    items, counts = queue(db_session(), QueueFilters())
    assert ids(items) == [[old_reject.id], [new_reject.id], [old_suspect.id]]
    assert counts == {"open": 3, "claimed": 0, "referred": 0, "decided": 0}


def test_a_duplicate_group_is_one_item_and_a_filter_on_one_card_brings_the_group(db_app, people):
    ines = people["ines"]
    batch = add_batch(ines)
    first = add_flagged(ines, codes=("DUPLICATE_NUMBER",), name="张三", minutes=0)
    second = add_flagged(ines, codes=("DUPLICATE_NUMBER",), name="李四", minutes=5, batch=batch)
    alone = add_flagged(ines, codes=("LAYOUT_MISMATCH",), minutes=1, batch=batch)
    items, _ = queue(db_session(), QueueFilters())
    assert ids(items) == [[first.id, second.id], [alone.id]]
    assert items[0].is_group and not items[1].is_group
    assert ids(queue(db_session(), QueueFilters(batch=batch.id))[0]) == [[first.id, second.id], [alone.id]]
    assert ids(queue(db_session(), QueueFilters(code="LAYOUT_MISMATCH"))[0]) == [[alone.id]]
    assert ids(queue(db_session(), QueueFilters(kind="special_equipment"))[0]) == []
    assert ids(queue(db_session(), QueueFilters(batch=batch.id + 1))[0]) == []


def test_claims_keep_two_reviewers_off_one_item(db_app, people):
    li, mo, chen = people["li"], people["mo"], people["chen"]
    first = add_flagged(people["ines"], codes=("DUPLICATE_NUMBER",), name="张三")
    second = add_flagged(people["ines"], codes=("DUPLICATE_NUMBER",), name="李四", minutes=1)
    claim(db_session(), second, li)
    claim(db_session(), first, li)  # one's own again: nothing changes
    with pytest.raises(ReviewRefused) as refused:
        claim(db_session(), first, mo)
    assert (refused.value.status, refused.value.code, refused.value.message) == (409, "claimed",
                                                                                  "li works this item already.")
    assert {r.check_id: r.assignee.username for r in db_session().scalars(select(Review))} == {
        first.id: "li", second.id: "li"}
    items, counts = queue(db_session(), QueueFilters())
    assert (items[0].state, items[0].assignees, counts["claimed"]) == ("claimed", ["li"], 1)

    with pytest.raises(ReviewRefused, match="may not assign"):
        claim(db_session(), first, li, assignee=mo)
    claim(db_session(), first, chen, assignee=mo)  # a supervisor hands it over
    assert queue(db_session(), QueueFilters())[0][0].assignees == ["mo"]
    with pytest.raises(ReviewRefused, match="ines may not review"):
        claim(db_session(), first, chen, assignee=people["ines"])
    with pytest.raises(ReviewRefused, match="not yours"):
        release(db_session(), first, li)
    release(db_session(), first, mo)
    assert queue(db_session(), QueueFilters())[1]["open"] == 1
    actions = db_session().scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["claim", "claim", "assign", "release"]


def test_a_check_that_passed_is_not_reviewed(db_app, people):
    passed = add_flagged(people["ines"], verdict="pass", codes=())
    with pytest.raises(ReviewRefused, match="Only suspect or rejected checks"):
        claim(db_session(), passed, people["li"])
    with pytest.raises(ReviewRefused, match="Only suspect or rejected checks"):
        decide(db_session(), passed, people["li"], {"decision": "genuine"})


@pytest.mark.parametrize(("form", "message"), [
    ({}, "'decision' must be one of genuine, counterfeit, refer, authority_answer."),
    ({"decision": "approve"}, "'decision' must be one of"),
    ({"decision": "counterfeit"}, "'category' must be one of forged, altered, lent, impersonated, expired"),
    ({"decision": "counterfeit", "category": "伪造"}, "'category' must be one of"),
    ({"decision": "genuine", "note": "x" * 501}, "'note' may be at most 500 characters long."),
    ({"decision": "genuine", "note": 7}, "'note' must be text."),
    ({"decision": "authority_answer", "reference": "京应急函〔2026〕12号", "outcome": "genuine"},
     "'answered_on' must be the date of the answer, YYYY-MM-DD."),
    ({"decision": "authority_answer", "answered_on": (date.today() + timedelta(days=1)).isoformat(),
      "reference": "r", "outcome": "genuine"}, "'answered_on' cannot be in the future."),
    ({"decision": "authority_answer", "answered_on": "2026-11-20", "outcome": "genuine"}, "'reference' must name"),
    ({"decision": "authority_answer", "answered_on": "2026-11-20", "reference": "r", "outcome": "maybe"},
     "'outcome' must be one of genuine, counterfeit."),
    ({"decision": "authority_answer", "answered_on": "2026-11-20", "reference": "r", "outcome": "counterfeit"},
     "'category' must be one of"),
])
def test_a_decision_missing_what_it_needs_is_refused_and_changes_nothing(db_app, people, form, message):
    check = add_flagged(people["ines"])
    with pytest.raises(ReviewRefused, match=message.replace("(", r"\(").replace(")", r"\)")) as refused:
        decide(db_session(), check, people["li"], form)
    assert (refused.value.status, refused.value.code) == (400, "invalid_decision")
    assert db_session().scalars(select(Decision)).all() == [] and db_session().get(Review, check.id) is None


def test_decisions_claim_a_free_item_and_move_it_along(db_app, people):
    li, mo = people["li"], people["mo"]
    forged = add_flagged(people["ines"])
    referred = add_flagged(people["ines"], minutes=1)
    decide(db_session(), forged, li, {"decision": "counterfeit", "category": "forged", "note": "photo pasted"})
    decide(db_session(), referred, li, {"decision": "refer"})
    with pytest.raises(ReviewRefused, match="li works this item"):
        decide(db_session(), referred, mo, {"decision": "genuine"})
    decisions = db_session().scalars(select(Decision).order_by(Decision.id)).all()
    assert [(d.check_id, d.decision, d.category, d.authority, d.note) for d in decisions] == [
        (forged.id, "counterfeit", "forged", None, "photo pasted"),
        (referred.id, "refer", None, "北京市应急管理局", None)]  # the issuer the card names
    assert {r.check_id: r.state for r in db_session().scalars(select(Review))} == {
        forged.id: "decided", referred.id: "referred"}
    counts = queue(db_session(), QueueFilters())[1]
    assert (counts["decided"], counts["referred"]) == (1, 1)
    assert ids(queue(db_session(), QueueFilters(state="decided"))[0]) == [[forged.id]]
    assert ids(queue(db_session(), QueueFilters())[0]) == [[referred.id]]  # undecided by default
    rows = db_session().scalars(select(AuditEvent).where(AuditEvent.action == "decision")).all()
    assert [(r.actor, r.object_id, r.detail["decision"]) for r in rows] == [
        ("li", str(forged.id), "counterfeit"), ("li", str(referred.id), "refer")]


def test_a_genuine_answer_from_the_authority_enters_the_register_with_its_source(db_app, people):
    check = add_flagged(people["ines"])
    decide(db_session(), check, people["li"], {"decision": "refer"})
    decide(db_session(), check, people["li"], {"decision": "authority_answer", "answered_on": "2026-11-20",
                                               "reference": "京应急函〔2026〕12号", "outcome": "genuine"})
    entry = db_session().scalars(select(RegisterEntry)).one()
    assert (entry.scheme, entry.number, entry.name, entry.id_number, entry.status) == (
        "special_operation", f"T{ID_NUMBER}", "张三", ID_NUMBER, "valid")
    assert (entry.valid_until, entry.authority) == (date(2028, 2, 29), "北京市应急管理局")
    assert entry.source_file == f"answer 京应急函〔2026〕12号 of 2026-11-20 to the referral of check {check.id}"
    assert db_session().get(Review, check.id).state == "decided"


def test_after_a_genuine_answer_the_next_scan_of_the_card_passes(db_app, people, reads, png):
    other = RegisterRecord("special_operation", "T110105194912310046", "王五", "110105194912310046", "电工作业",
                           "低压电工作业", date(2022, 3, 1), date(2028, 2, 29), "北京市应急管理局", "valid")
    import_records(db_session(), [other], "extract.csv")  # the register knows the kind, not this card
    reads["card.png"] = reading()
    first = run_check(png, source="card.png", original_name=None, user=people["ines"], as_of=AS_OF)
    assert (first.verdict, [f["code"] for f in first.result["findings"]]) == ("suspect", ["REGISTRY_NOT_FOUND"])
    decide(db_session(), first, people["li"], {"decision": "refer"})
    decide(db_session(), first, people["li"], {"decision": "authority_answer", "answered_on": "2026-11-20",
                                               "reference": "京应急函〔2026〕12号", "outcome": "genuine"})
    again = run_check(png, source="card.png", original_name=None, user=people["ines"], as_of=AS_OF)
    assert (again.verdict, again.result["findings"]) == ("pass", [])


def test_an_answer_for_a_card_whose_number_was_not_read_cannot_enter_the_register(db_app, people):
    check = add_flagged(people["ines"], number=None, codes=("FIELD_UNREADABLE",))
    with pytest.raises(ReviewRefused, match="number was not read") as refused:
        decide(db_session(), check, people["li"], {"decision": "authority_answer", "answered_on": "2026-11-20",
                                                   "reference": "r", "outcome": "genuine"})
    assert refused.value.status == 409
    assert db_session().scalars(select(RegisterEntry)).all() == []


def test_finding_codes_follow_the_contract_whoever_sets_it(db_app, people):
    check = add_flagged(people["ines"], codes=("LAYOUT_MISMATCH", "TAMPERING"))
    stored = db_session().get(Check, check.id)
    stored.result = {**stored.result, "findings": [{"code": "TAMPERING"}, {"code": "DUPLICATE_NUMBER"}]}
    db_session().commit()
    codes = db_session().scalars(select(FindingCode.code).where(FindingCode.check_id == check.id)
                                 .order_by(FindingCode.code)).all()
    assert codes == ["DUPLICATE_NUMBER", "TAMPERING"]


def test_the_official_query_sites_come_from_the_kind_files():
    kinds = load_kinds()
    assert query_addresses(kinds["special_operation"], f"T{ID_NUMBER}") == ["https://cx.mem.gov.cn/"]
    assert query_addresses(kinds["special_equipment"], ID_NUMBER) == ["https://cnse.samr.gov.cn/"]
    assert query_addresses(kinds["construction_operation"], "豫A012019000123") == [
        "https://zlaq.mohurd.gov.cn/", "https://hnjs.henan.gov.cn/", "https://hngcjs.hnjs.henan.gov.cn/",
        "https://www.hnjs.gov.cn/"]
    assert query_addresses(kinds["construction_operation"], None) == ["https://zlaq.mohurd.gov.cn/"]


def test_a_district_filter_selects_the_checks_of_its_units_and_brings_their_groups(db_app, people):
    session, ines = db_session(), people["ines"]
    east, west = add_district(session, "东城区"), add_district(session, "西城区")
    east_unit, west_unit = add_unit(session, east, "甲建筑公司"), add_unit(session, west, "乙建筑公司")
    in_east = add_flagged(ines, codes=("LAYOUT_MISMATCH",), minutes=0)
    in_west = add_flagged(ines, codes=("DUPLICATE_NUMBER",), name="张三", minutes=1)
    same_number_nowhere = add_flagged(ines, codes=("DUPLICATE_NUMBER",), name="李四", minutes=2)
    add_flagged(ines, codes=("EXPIRED",), minutes=3)  # in no unit
    in_east.unit_id, in_west.unit_id = east_unit.id, west_unit.id
    session.commit()
    assert ids(queue(session, QueueFilters(district=east.id))[0]) == [[in_east.id]]
    assert ids(queue(session, QueueFilters(district=west.id))[0]) == [[in_west.id, same_number_nowhere.id]]
    assert ids(queue(session, QueueFilters(district=west.id + east.id))[0]) == []
