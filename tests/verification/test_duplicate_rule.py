"""DUPLICATE_NUMBER (转借/冒用) on hand-built readings and sightings: no images, no database."""

from __future__ import annotations

from dataclasses import replace

import pytest
from helpers import GENUINE, context, genuine

from verification.facts import DictSightings, Facts, Sighting
from verification.findings import finding
from verification.privacy import mask, mask_name
from verification.reading import CardReading
from verification.rules.duplicates import duplicate_finding
from verification.verify import rejudge, verify

SO = "special_operation"
NUMBER = GENUINE[SO]["number"]
ID_NUMBER = NUMBER[1:]  # a special-operation number is T + the holder's ID number
CO = "construction_operation"


def judged(reading: CardReading, *sightings: Sighting, scheme: str = SO):
    return verify(reading, context(scheme, Facts(sightings=DictSightings(list(sightings)))))


def duplicates(report) -> list:
    return [f for f in report.findings if f.code == "DUPLICATE_NUMBER"]


def with_confidence(reading: CardReading, name: str, confidence: float) -> CardReading:
    fields = dict(reading.fields.fields)
    fields[name] = replace(fields[name], confidence=confidence)
    return CardReading(replace(reading.fields, fields=fields), reading.qr)


def test_one_number_with_another_name_is_a_duplicate_with_evidence():
    report = judged(genuine(SO), Sighting(3, SO, NUMBER, "李四", ID_NUMBER))
    (found,) = duplicates(report)
    assert report.verdict == "suspect"  # a human decides which card is the lent or forged one
    assert found.evidence == {"field": "number", "read": NUMBER, "box": [10, 0, 100, 20], "checks": [3],
                              "differs": ["name"], "other_names": ["李*"]}
    assert "check 3" in found.message and "name" in found.message and "李四" not in found.message


def test_the_same_holder_seen_again_is_not_a_duplicate():
    report = judged(genuine(SO), Sighting(3, SO, NUMBER, "张三", ID_NUMBER), Sighting(4, SO, NUMBER, "张三", None))
    assert report.findings == [] and report.verdict == "pass"


@pytest.mark.parametrize("other", ["张 三", " 张三", "张\u3000三"])
def test_spacing_and_width_do_not_make_another_holder(other):
    assert duplicates(judged(genuine(SO), Sighting(3, SO, NUMBER, other, ID_NUMBER))) == []


def test_an_untrusted_name_on_the_card_is_not_compared():
    reading = with_confidence(genuine(SO, name="张叁"), "name", 0.3)
    assert duplicates(judged(reading, Sighting(3, SO, NUMBER, "张三", ID_NUMBER))) == []


def test_a_sighting_whose_name_was_not_read_is_not_compared():
    assert duplicates(judged(genuine(SO), Sighting(3, SO, NUMBER, None, ID_NUMBER))) == []


def test_an_untrusted_number_is_not_looked_up():
    reading = with_confidence(genuine(SO), "number", 0.3)
    assert duplicates(judged(reading, Sighting(3, SO, NUMBER, "李四", ID_NUMBER))) == []


def test_another_id_number_under_one_construction_number_is_a_duplicate():
    other_id = "110105194912310013"
    number = GENUINE[CO]["number"]
    report = judged(genuine(CO), Sighting(8, CO, number, GENUINE[CO]["name"], other_id), scheme=CO)
    (found,) = duplicates(report)
    assert (found.evidence["differs"], found.evidence["other_id_numbers"]) == (["id_number"], [mask(other_id)])
    assert "other_names" not in found.evidence and "ID number" in found.message


def test_the_same_number_under_another_kind_is_another_certificate():
    assert duplicates(judged(genuine(SO), Sighting(3, "special_equipment", NUMBER, "李四", ID_NUMBER))) == []


def test_several_other_holders_are_all_named_once():
    own = Sighting(5, SO, NUMBER, "张三", ID_NUMBER)
    seen = [own, Sighting(9, SO, NUMBER, "李四", ID_NUMBER), Sighting(2, SO, NUMBER, "李四", ID_NUMBER),
            Sighting(4, SO, NUMBER, "王五", None), Sighting(7, SO, NUMBER, "张三", ID_NUMBER)]
    found = duplicate_finding(own, seen)
    assert found.evidence["checks"] == [2, 4, 9]  # itself (5) and the same holder (7) left out
    assert found.evidence["other_names"] == ["李*", "王*"]
    assert "checks 2, 4, 9" in found.message


def test_a_check_is_not_a_duplicate_of_itself():
    own = Sighting(5, SO, NUMBER, "张三", ID_NUMBER)
    assert duplicate_finding(own, [own, replace(own, check_id=6)]) is None


def test_without_sightings_nothing_is_judged():
    assert duplicates(verify(genuine(SO), context(SO))) == []


def test_rejudge_replaces_the_code_and_decides_again():
    stored = {"findings": [], "verdict": "pass", "fields": {"name": "张三"}}
    flagged = rejudge(stored, "DUPLICATE_NUMBER", [finding("DUPLICATE_NUMBER", "again", checks=[2])])
    assert flagged["verdict"] == "suspect" and [f["code"] for f in flagged["findings"]] == ["DUPLICATE_NUMBER"]
    assert flagged["fields"] == stored["fields"] and stored["verdict"] == "pass"  # the original is untouched
    assert rejudge(flagged, "DUPLICATE_NUMBER", []) == stored
    expired = {"findings": [finding("EXPIRED", "old").to_dict()], "verdict": "reject"}
    assert rejudge(expired, "DUPLICATE_NUMBER", [finding("DUPLICATE_NUMBER", "x")])["verdict"] == "reject"


def test_names_show_only_the_surname():
    assert [mask_name(n) for n in ("张三", "欧阳修", "李")] == ["张*", "欧**", "李"]
