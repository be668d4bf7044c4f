"""DUPLICATE_NUMBER across stored checks, on SQLite and PostgreSQL: the OCR stage is replaced by
readings given per source, everything after it (rules, storage, the update of earlier checks) is real.
"""

from __future__ import annotations

import json

from card_readings import AS_OF, NUMBER, reading
from sqlalchemy import inspect, select

from service import pipeline
from service.auth import create_user
from service.cli import cli
from service.db import db_session
from service.models import Check
from service.pipeline import complete_check, queue_check, run_check
from verification.reading import CardReading


def check(png: bytes, reads: dict, source: str, card: CardReading) -> int:
    reads[source] = card
    return run_check(png, source=source, original_name=None, user=user(), as_of=AS_OF).id


def user():
    found = db_session().scalars(select(pipeline.User).where(pipeline.User.username == "ines")).one_or_none()
    return found or create_user("ines", "inspector")


def stored(app, check_id: int) -> Check:
    """The check as the database holds it now, read in a fresh app context."""
    with app.app_context():
        return db_session().get(Check, check_id)


def duplicate(check_: Check) -> dict | None:
    return next((f for f in check_.result["findings"] if f["code"] == "DUPLICATE_NUMBER"), None)


def test_another_holder_of_one_number_flags_both_checks_and_sends_the_earlier_to_review(db_app, png, reads):
    with db_app.app_context():
        first = check(png, reads, "a.png", reading())
    assert stored(db_app, first).verdict == "pass"
    with db_app.app_context():
        second = check(png, reads, "b.png", reading(name="李四"))
    earlier, later = stored(db_app, first), stored(db_app, second)
    assert (earlier.number, later.number) == (NUMBER, NUMBER)
    assert later.verdict == "suspect" and duplicate(later)["evidence"]["checks"] == [first]
    assert duplicate(later)["evidence"]["other_names"] == ["张*"]
    assert duplicate(later)["evidence"]["box"] == [10, 0, 200, 24]
    assert earlier.verdict == earlier.result["verdict"] == "suspect"
    assert duplicate(earlier)["evidence"] == {"field": "number", "read": NUMBER, "checks": [second],
                                              "differs": ["name"], "other_names": ["李*"]}
    assert [f["code"] for f in earlier.result["findings"]] == ["DUPLICATE_NUMBER"]


def test_a_third_check_joins_the_group(db_app, png, reads):
    with db_app.app_context():
        first = check(png, reads, "a.png", reading())
        second = check(png, reads, "b.png", reading(name="李四"))
        third = check(png, reads, "c.png", reading(name="王五"))
    assert duplicate(stored(db_app, first))["evidence"]["checks"] == [second, third]
    assert duplicate(stored(db_app, second))["evidence"]["checks"] == [first, third]
    assert duplicate(stored(db_app, third))["evidence"]["other_names"] == ["张*", "李*"]


def test_the_same_card_or_holder_scanned_again_is_no_duplicate(db_app, png, reads):
    with db_app.app_context():
        ids = [check(png, reads, f"{n}.png", reading()) for n in range(3)]
        other_item = reading(category="焊接与热切割作业", item="熔化焊接与热切割作业")
        ids.append(check(png, reads, "other-item.png", other_item))
    assert [stored(db_app, i).verdict for i in ids] == ["pass"] * 4
    assert [duplicate(stored(db_app, i)) for i in ids] == [None] * 4


def test_an_untrusted_name_makes_no_duplicate(db_app, png, reads):
    with db_app.app_context():
        first = check(png, reads, "a.png", reading())
        second = check(png, reads, "b.png", reading({"name": 0.3}, name="李四"))
    later = stored(db_app, second)
    assert later.result["fields"]["name"] is None and duplicate(later) is None
    assert stored(db_app, first).verdict == "pass" and duplicate(stored(db_app, first)) is None


def test_an_untrusted_number_is_not_kept_and_not_compared(db_app, png, reads):
    with db_app.app_context():
        first = check(png, reads, "a.png", reading())
        second = check(png, reads, "b.png", reading({"number": 0.3}, name="李四"))
    assert stored(db_app, second).number is None
    assert duplicate(stored(db_app, first)) is None and duplicate(stored(db_app, second)) is None


def test_a_queued_check_flags_the_earlier_one_when_it_completes(db_app, png, reads):
    with db_app.app_context():
        first = check(png, reads, "a.png", reading())
        reads["b.png"] = reading(name="李四")
        queued = queue_check(png, source="b.png", original_name=None, user=user(), as_of=AS_OF).id
    with db_app.app_context():
        complete_check(queued)
    assert duplicate(stored(db_app, queued))["evidence"]["checks"] == [first]
    assert stored(db_app, first).verdict == "suspect" and duplicate(stored(db_app, first))["evidence"]["checks"] == [
        queued]


def test_checks_are_found_by_an_index_on_scheme_and_number(db_app):
    with db_app.app_context():
        indexes = inspect(db_session().get_bind()).get_indexes("checks")
    assert {"name": "ix_checks_scheme_number", "columns": ["scheme", "number"]} in [
        {"name": index["name"], "columns": index["column_names"]} for index in indexes]


def test_scan_reports_duplicates_found_later_in_the_same_run(app, runner, reads, tmp_path, png):
    folder = tmp_path / "photos"
    folder.mkdir()
    for name in ("1.png", "2.png", "3.png"):
        (folder / name).write_bytes(png)
    reads[str(folder / "1.png")] = reading()
    reads[str(folder / "2.png")] = reading(number="T110105194912310046", name="王五")
    reads[str(folder / "3.png")] = reading(name="李四")
    out = tmp_path / "out.jsonl"
    result = runner.invoke(cli, ["scan", str(folder), "--out", str(out), "--as-of", AS_OF.isoformat()])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [[f["code"] for f in line["findings"]] for line in lines] == [["DUPLICATE_NUMBER"], [],
                                                                          ["DUPLICATE_NUMBER"]]
    assert [line["verdict"] for line in lines] == ["suspect", "pass", "suspect"]
    assert lines[0]["findings"][0]["evidence"]["checks"] == [lines[2]["id"]]
    assert "1 pass, 2 suspect" in result.output
