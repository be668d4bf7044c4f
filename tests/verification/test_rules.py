"""Each rule family on hand-built readings: genuine cards stay clean, each trick raises its code."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from helpers import AS_OF, GENUINE, KINDS, QR, context, genuine, make_reading

from ocr.forensics import FieldTraces
from verification.facts import DictRegister, Facts, RegisterRecord
from verification.rules.numbers import ODD_GLYPH
from verification.verify import contract, verify


def codes(reading, ctx) -> list[str]:
    return [f.code for f in verify(reading, ctx).findings]


@pytest.mark.parametrize("scheme", sorted(GENUINE))
def test_genuine_cards_pass_with_no_findings(scheme):
    report = verify(genuine(scheme), context(scheme))
    assert report.findings == []
    assert report.verdict == "pass"


@pytest.mark.parametrize(("scheme", "changes", "code"), [
    ("special_operation", {"number": "T1101051949123100"}, "NUMBER_INVALID"),
    ("special_operation", {"number": "T110105194912310021"}, "NUMBER_CHECKSUM"),
    ("special_operation", {"number": "T110105194913310027"}, "NUMBER_INVALID"),
    ("special_equipment", {"number": "110105194912310021"}, "NUMBER_CHECKSUM"),
    ("construction_operation", {"id_number": "110105194912310021"}, "NUMBER_CHECKSUM"),
    ("construction_operation", {"number": "豫A01202500012"}, "NUMBER_INVALID"),
    ("construction_operation", {"number": "X" + "A012025000123"}, "NUMBER_INVALID"),
    ("special_operation", {"sex": "男"}, "SEX_MISMATCH"),
    ("special_operation", {"valid_until": "2030-02-28"}, "VALIDITY_SPAN"),
    ("special_equipment", {"valid_until": "2030-07-24"}, "VALIDITY_SPAN"),
    ("construction_operation", {"valid_until": "2028-05-31"}, "VALIDITY_SPAN"),
    ("special_operation", {"first_issued": "2016-03-01", "valid_from": "2016-03-01", "valid_until": "2022-02-28"},
     "EXPIRED"),
    ("special_operation", {"category": "潜水作业"}, "CATEGORY_UNKNOWN"),
    ("special_operation", {"item": "司钻作业"}, "CATEGORY_MISMATCH"),
    ("special_equipment", {"item": "G1"}, "CATEGORY_MISMATCH"),
    ("construction_operation", {"category": "建筑架子工(普通脚手架)"}, "CATEGORY_MISMATCH"),
])
def test_each_trick_raises_its_code(scheme, changes, code):
    assert code in codes(genuine(scheme, **changes), context(scheme))


def test_a_category_damaged_by_ocr_is_corroborated_by_its_item_and_an_invented_one_is_not():
    assert codes(genuine("special_operation", category="电作业"), context("special_operation")) == []
    # one character off 高处作业, but the item (低压电工作业) belongs to 电工作业: printed so, not misread
    assert codes(genuine("special_operation", category="高空作业"), context("special_operation")) == [
        "CATEGORY_UNKNOWN"]


def printed(scheme: str, **changes: str):
    """A genuine reading with `changes`, its QR link carrying the number printed."""
    number = GENUINE[scheme]["number"]
    return make_reading(scheme, {**GENUINE[scheme], **changes},
                        qr=[QR[scheme].replace(number, changes.get("number", number))])


def doubted(reading, confidence: float, *names: str):
    """`reading` with the engine's confidence in the named fields set to `confidence`."""
    fields = {name: replace(field, confidence=confidence) if name in names else field
              for name, field in reading.fields.fields.items()}
    return replace(reading, fields=replace(reading.fields, fields=fields))


@pytest.mark.parametrize(("scheme", "changes", "field"), [
    # the item (Y1) points to 大型游乐设施作业, four of whose eight characters were read
    ("special_equipment", {"category": "大测乐设集作", "item": "Y1"}, "category"),
    # the number's 工种 code (99) points to the long 其他 category, read with characters lost and swapped
    ("construction_operation", {"number": "豫A992025000123", "category": "经省以上住和城多康主管题门认定的他工"},
     "category"),
    # the category points to its item 煤矿井下电气作业, read with two characters lost and one swapped
    ("special_operation", {"category": "煤矿安全作业", "item": "矿鲜下电气作"}, "item"),
    # one character off 低压电工作业: a doubted item is that one, a sure one was printed so
    ("special_operation", {"item": "低压电工作亚"}, "item"),
])
def test_a_doubted_reading_stands_for_the_name_the_card_points_to_and_a_sure_one_as_printed(scheme, changes, field):
    reading = printed(scheme, **changes)
    assert codes(doubted(reading, 0.85, field), context(scheme)) == []
    assert codes(doubted(reading, 0.97, field), context(scheme)) == ["CATEGORY_UNKNOWN"]


@pytest.mark.parametrize("changes", [
    # nearer 煤气作业 (危险化学品安全作业) than any item of the printed category
    {"category": "煤矿安全作业", "item": "#下气作业"},
    # the number's code (01) points to 建筑电工, the reading to the 其他 category
    {"number": "豫A012025000123", "category": "经省以上住和城多康主管题门认定的他工"},
])
def test_a_doubted_reading_nearer_another_name_than_the_one_pointed_to_stays_unknown(changes):
    scheme = "construction_operation" if "number" in changes else "special_operation"
    field = "category" if "number" in changes else "item"
    assert codes(doubted(printed(scheme, **changes), 0.85, field), context(scheme)) == ["CATEGORY_UNKNOWN"]


def test_a_doubted_item_agrees_with_the_register_as_the_name_it_stands_for():
    facts = Facts(register=DictRegister([record(category="煤矿安全作业", item="煤矿井下电气作业")]))
    reading = genuine("special_operation", category="煤矿安全作业", item="矿鲜下电气作")
    assert codes(doubted(reading, 0.85, "item"), context("special_operation", facts)) == []


def test_real_card_id_issued_after_its_county_code_changed_is_valid():
    reading = genuine("special_equipment", number="510602197603143578", sex="男")
    assert codes(reading, context("special_equipment")) == ["QR_MISMATCH"]  # the QR fixture holds another number


def test_a_number_read_with_a_letter_for_a_digit_goes_to_a_human():
    """The reader repairs 42050219901119Z216 to a number of the right form; the letter it read is
    still reported, as a warning: a forger's typing slip, or a misread."""
    reading = genuine("special_operation")
    number = reading.fields.fields["number"]
    lettered = number.value[:12] + "O" + number.value[13:]
    reading.fields.fields["number"] = replace(number, raw=lettered)
    result = verify(reading, context("special_operation"))
    [found] = [f for f in result.findings if f.code == "NUMBER_INVALID"]
    assert (found.severity, found.evidence["read"], found.evidence["expected"]) == ("warning", lettered, number.value)
    assert result.verdict == "suspect"


def glyphs_of(code: str, wide: dict[int, float] | None = None) -> tuple[tuple[str, float], ...]:
    """A code's characters measured as one typeface prints them (each digit alike), `wide` giving
    other widths at some places (0-based)."""
    return tuple((char, (wide or {}).get(place, 0.3 if char == "1" else 0.45)) for place, char in enumerate(code))


def with_glyphs(reading, field: str, glyphs) -> object:
    box = reading.fields.fields[field].box
    return replace(reading, traces=(FieldTraces(field, box, 0.8, 0.5, glyphs=glyphs),))


def test_a_digit_printed_unlike_its_others_goes_to_a_human_with_its_place_and_box():
    """The reader took an O for 0, so the number fits its form; its print is wider than the other 0s."""
    reading = genuine("construction_operation")  # 豫A012025000123: the code cut out begins at A
    number = reading.fields.fields["number"].value
    place = number.index("000") + 1  # the middle 0 of 000, 0-based; the code's glyphs start one later
    reading = with_glyphs(reading, "number", glyphs_of(number[1:], {place - 1: 0.45 + ODD_GLYPH + 0.02}))
    result = verify(reading, context("construction_operation"))
    [found] = [f for f in result.findings if f.code == "NUMBER_INVALID"]
    assert found.severity == "warning" and result.verdict == "suspect"
    assert found.evidence["field"] == "number" and found.evidence["read"] == number
    assert found.evidence["box"] == reading.fields.fields["number"].box.as_list()
    assert f"Character {place + 1} " in found.message and "wider" in found.message


def test_digits_printed_alike_or_a_digit_printed_once_raise_nothing():
    reading = genuine("special_operation")
    number = reading.fields.fields["number"].value  # T11010519491231002X
    assert codes(with_glyphs(reading, "number", glyphs_of(number)), context("special_operation")) == []
    just_under = glyphs_of(number, {3: 0.45 + ODD_GLYPH - 0.01})  # a 0, with three other 0s
    assert codes(with_glyphs(reading, "number", just_under), context("special_operation")) == []
    lone_five = glyphs_of(number, {6: 0.7})  # the number's only 5: nothing to set it against
    assert codes(with_glyphs(reading, "number", lone_five), context("special_operation")) == []
    close_nines = glyphs_of(number, {8: 0.45 + ODD_GLYPH - 0.01})  # the two 9s, just alike
    assert codes(with_glyphs(reading, "number", close_nines), context("special_operation")) == []


def test_a_digit_printed_twice_unlike_itself_names_both_places():
    """With one other 9, which of the two is the letter cannot be told; that one of them is, can."""
    reading = genuine("special_operation")
    number = reading.fields.fields["number"].value  # T11010519491231002X: 9s at places 9 and 11
    two_nines = glyphs_of(number[1:], {7: 0.45 + ODD_GLYPH + 0.02})  # the glyphs begin after the T
    result = verify(with_glyphs(reading, "number", two_nines), context("special_operation"))
    [found] = [f for f in result.findings if f.code == "NUMBER_INVALID"]
    assert found.severity == "warning" and result.verdict == "suspect"
    assert "Characters 9 and 11 of the 证号 both read 9" in found.message
    assert found.evidence["expected"] == "characters 9 and 11 as wide as each other"


def test_a_narrow_digit_in_the_id_number_is_reported_on_that_field():
    reading = genuine("construction_operation")
    id_number = reading.fields.fields["id_number"].value  # 11010519491231002X
    narrow = glyphs_of(id_number, {1: 0.3 - ODD_GLYPH - 0.02})  # an I typed for 1
    [found] = [f for f in verify(with_glyphs(reading, "id_number", narrow), context("construction_operation")).findings
               if f.code == "NUMBER_INVALID"]
    assert found.evidence["field"] == "id_number" and "Character 2 of the ID number" in found.message
    assert "narrower" in found.message


def test_a_doubtful_reading_is_not_judged_by_its_glyphs():
    reading = genuine("special_operation")
    number = reading.fields.fields["number"]
    reading.fields.fields["number"] = replace(number, confidence=0.3)
    odd = with_glyphs(reading, "number", glyphs_of(number.value, {3: 0.8}))
    assert "NUMBER_INVALID" not in codes(odd, context("special_operation"))


def test_number_year_must_match_first_issue():
    found = verify(genuine("construction_operation", first_issued="2023-06-01"), context("construction_operation"))
    assert [f.code for f in found.findings] == ["NUMBER_INVALID"]
    assert found.findings[0].evidence["expected"] == "2023"


@pytest.mark.parametrize("id_number", ["1101051949", "1101051949123100", "11010519491231002XX"])
def test_an_id_number_read_short_or_long_is_invalid_and_no_rule_reads_its_digits(id_number):
    """Sex parity reads digit 17 and the age rule digits 7–14: neither may run on a number not of
    GB 11643's form (read short from a retouched photo, this crashed the check)."""
    found = verify(genuine("construction_operation", id_number=id_number), context("construction_operation"))
    assert [f.code for f in found.findings] == ["NUMBER_INVALID"]
    assert found.findings[0].evidence["field"] == "id_number"


def test_holder_must_be_adult_at_first_issue():
    reading = genuine("special_operation", number="T110105201001010014", sex="男")
    assert "NUMBER_INVALID" in codes(reading, context("special_operation"))


def test_other_category_of_construction_kind_accepts_its_parenthesised_name():
    fields = {**GENUINE["construction_operation"], "number": "豫A992025000123",
              "category": "经省级以上住房和城乡建设主管部门认定的其他工种类别（建筑焊工）"}
    reading = make_reading("construction_operation", fields)
    assert codes(reading, context("construction_operation")) == []


def test_evidence_names_field_read_expected_and_box():
    finding = verify(genuine("special_operation", sex="男"), context("special_operation")).findings[0]
    assert finding.evidence == {"field": "sex", "read": "男", "expected": "女", "box": [10, 20, 100, 20]}


@pytest.mark.parametrize(("payload", "code"), [
    ("https://cx-mem-query.com/cert?no=T11010519491231002X", "QR_UNOFFICIAL_HOST"),
    ("http://203.0.113.7/cx?certNum=T11010519491231002X", "QR_UNOFFICIAL_HOST"),
    ("https://cx.mem.gov.cn.cert-check.net/q?certNum=T11010519491231002X", "QR_LOOKALIKE_HOST"),
    ("https://cx.rnem.gov.cn/special?certNum=T11010519491231002X", "QR_LOOKALIKE_HOST"),
    ("https://cx.mem.g0v.cn/special?certNum=T11010519491231002X", "QR_LOOKALIKE_HOST"),
    ("https://cx-mem-gov.cn/special?certNum=T11010519491231002X", "QR_LOOKALIKE_HOST"),
    ("https://xn--cx-mm-5ve.gov.cn/special", "QR_LOOKALIKE_HOST"),
    ("https://cx.mem.gov.cn/special?certNum=T220105199001010012", "QR_MISMATCH"),
])
def test_qr_link_forensics(payload, code):
    reading = make_reading("special_operation", GENUINE["special_operation"], qr=[payload])
    assert code in codes(reading, context("special_operation"))


@pytest.mark.parametrize("payload", [
    "https://cx.mem.gov.cn/special?index=0",
    "https://www.mem.gov.cn/",
    "CX:OPAQUE-TOKEN-1234",
    "https://cx.mem.gov.cn/special?certNum=11010519491231002X",
])
def test_official_or_opaque_payloads_raise_nothing(payload):
    reading = make_reading("special_operation", GENUINE["special_operation"], qr=[payload])
    assert codes(reading, context("special_operation")) == []


def test_provincial_housing_department_hosts_are_official():
    reading = make_reading("construction_operation", GENUINE["construction_operation"],
                           qr=["https://hngcjs.hnjs.henan.gov.cn/cert?zsbh=豫A012025000123"])
    assert codes(reading, context("construction_operation")) == []


def test_qr_missing_only_where_the_kind_carries_one():
    assert "QR_MISSING" in codes(make_reading("special_operation", GENUINE["special_operation"]),
                                 context("special_operation"))
    assert codes(make_reading("special_equipment", GENUINE["special_equipment"]), context("special_equipment")) == []


def test_unreadable_qr_asks_for_a_retake_and_a_look_not_a_rejection():
    reading = make_reading("special_operation", GENUINE["special_operation"], symbol_seen=True)
    report = verify(reading, context("special_operation"))
    assert [f.code for f in report.findings] == ["QR_UNREADABLE"]
    assert report.verdict == "suspect"


def test_low_confidence_fields_are_unreadable_and_not_judged():
    reading = make_reading("special_operation", {**GENUINE["special_operation"], "sex": "男"},
                           qr=[QR["special_operation"]], confidence=0.3)
    report = verify(reading, context("special_operation"))
    assert {f.code for f in report.findings} == {"FIELD_UNREADABLE"}
    messages = {f.evidence["field"]: f.message for f in report.findings}
    assert messages["sex"].startswith("性别 ") and messages["valid_until"].startswith("有效期止 ")
    assert report.verdict == "suspect"
    result = contract("x.jpg", reading, context("special_operation"), report)
    assert result["fields"]["sex"] is None and result["field_confidence"]["sex"] == 0.3


def test_unknown_kind():
    report = verify(make_reading(None, {}), context(None))
    assert [f.code for f in report.findings] == ["UNKNOWN_KIND"]
    assert report.verdict == "suspect"


def record(**changes) -> RegisterRecord:
    base = GENUINE["special_operation"]
    values = dict(scheme="special_operation", number=base["number"], name=base["name"],
                  id_number="11010519491231002X", category=base["category"], item=base["item"],
                  first_issued=date(2022, 3, 1), valid_until=date(2028, 2, 29), authority=base["authority"],
                  status="valid")
    return RegisterRecord(**{**values, **changes})


@pytest.mark.parametrize(("row", "code"), [
    (record(number="T220105199001010012"), "REGISTRY_NOT_FOUND"),
    (record(status="revoked"), "REGISTRY_REVOKED"),
    (record(status="expired"), "EXPIRED"),
    (record(name="赵六"), "REGISTRY_MISMATCH"),
])
def test_register_rules(row, code):
    facts = Facts(register=DictRegister([row]))
    assert code in codes(genuine("special_operation"), context("special_operation", facts))


def test_register_mismatch_says_which_fields_differ():
    facts = Facts(register=DictRegister([record(name="赵六", valid_until=date(2029, 1, 1))]))
    found = [f for f in verify(genuine("special_operation"), context("special_operation", facts)).findings
             if f.code == "REGISTRY_MISMATCH"][0]
    assert found.evidence["fields"] == ["name", "valid_until"]
    assert found.evidence["expected"] == {"name": "赵六", "valid_until": "2029-01-01"}


@pytest.mark.parametrize(("read", "agrees"), [
    ({"category": "电作业"}, True),  # a character dropped by OCR
    ({"authority": "北京市应急官理局"}, True),  # 管 read as a lookalike
    ({"item": "高压电工作业"}, False),  # another item of the catalogue: changed, not misread
    ({"authority": "天津市应急管理局"}, False),  # another place
    ({"authority": "北京市市场监督管理局"}, False),  # another agency
])
def test_register_comparison_forgives_ocr_damage_to_phrases_but_not_another_phrase(read, agrees):
    facts = Facts(register=DictRegister([record()]))
    reading = make_reading("special_operation", {**GENUINE["special_operation"], **read},
                           qr=[QR["special_operation"]])
    assert ("REGISTRY_MISMATCH" not in codes(reading, context("special_operation", facts))) is agrees


def test_a_category_the_catalogue_does_not_know_is_left_to_category_unknown():
    """高空作业 is one glyph off the registered 高处作业, but its item (低压电工作业) belongs to 电工作业:
    no catalogue category, so CATEGORY_UNKNOWN sends the card to a human instead of the register
    rejecting what may be a misread."""
    facts = Facts(register=DictRegister([record(category="高处作业")]))
    reading = make_reading("special_operation", {**GENUINE["special_operation"], "category": "高空作业"},
                           qr=[QR["special_operation"]])
    result = verify(reading, context("special_operation", facts))
    assert [(f.code, f.evidence.get("field")) for f in result.findings] == [("CATEGORY_UNKNOWN", "category")]
    assert result.verdict == "suspect"


def test_a_catalogue_category_other_than_the_registered_one_differs_from_the_register():
    facts = Facts(register=DictRegister([record(category="高处作业", item="登高架设作业")]))
    [found] = [f for f in verify(genuine("special_operation"), context("special_operation", facts)).findings
               if f.code == "REGISTRY_MISMATCH"]
    assert found.evidence["fields"] == ["category", "item"]


def test_matching_register_row_passes_and_other_schemes_are_not_judged():
    facts = Facts(register=DictRegister([record()]))
    assert codes(genuine("special_operation"), context("special_operation", facts)) == []
    assert codes(genuine("special_equipment"), context("special_equipment", facts)) == []


def test_contract_shape():
    ctx = context("special_operation")
    reading = genuine("special_operation")
    result = contract("card.jpg", reading, ctx, verify(reading, ctx))
    assert result["scheme"] == "special_operation"
    assert result["fields"]["id_number"] == "11010519491231002X"
    assert set(result["fields"]) == {"number", "name", "sex", "id_number", "category", "item", "first_issued",
                                     "valid_from", "valid_until", "authority"}
    assert result["qr"] == {"payloads": [QR["special_operation"]]}
    assert result["verdict"] == "pass"


def test_construction_contract_has_no_item():
    ctx = context("construction_operation")
    reading = genuine("construction_operation")
    assert contract("c.jpg", reading, ctx, verify(reading, ctx))["fields"]["item"] is None


@pytest.mark.parametrize(("valid_until", "severity"), [
    ("2028-03-10", "info"),  # ten days past the span: a misread day, no validity gained
    ("2028-02-02", "info"),
    ("2028-04-01", "warning"),  # a month and more
    ("2029-02-28", "warning"),  # a year: the forger's lengthened card
])
def test_a_span_off_by_days_only_is_noted_by_years_is_warned(valid_until, severity):
    reading = genuine("special_operation", first_issued="2022-03-01", valid_from="2022-03-01", valid_until=valid_until)
    ctx = context("special_operation")
    [found] = [f for f in verify(reading, ctx).findings if f.code == "VALIDITY_SPAN"]
    assert found.severity.value == severity and found.evidence["expected"] == "2028-03-01"
    assert (verify(reading, ctx).verdict == "pass") == (severity == "info")


def test_expiry_is_judged_against_the_given_date():
    reading = genuine("special_operation")
    assert "EXPIRED" in codes(reading, context("special_operation", as_of=date(2028, 3, 1)))
    assert "EXPIRED" not in codes(reading, context("special_operation", as_of=AS_OF))


def test_an_expiry_read_off_its_kinds_span_is_doubted_not_rejected():
    """Valid from 2022, read as ending 2024 on a six-year card: a misread 2028 as likely as an expired card."""
    expired = genuine("special_operation", first_issued="2016-03-01", valid_from="2016-03-01", valid_until="2022-02-28")
    misread = genuine("special_operation", first_issued="2022-12-24", valid_from="2022-12-24", valid_until="2024-12-24")
    ctx = context("special_operation")
    severities = {f.code: f.severity.value for f in verify(misread, ctx).findings}
    assert severities == {"EXPIRED": "warning", "VALIDITY_SPAN": "warning"}
    assert verify(misread, ctx).verdict == "suspect"
    assert [(f.code, f.severity.value, verify(expired, ctx).verdict) for f in verify(expired, ctx).findings] == [
        ("EXPIRED", "error", "reject")]


def test_every_kind_file_loads():
    assert set(KINDS) >= {"special_operation", "construction_operation", "special_equipment"}


@pytest.mark.parametrize(("printed", "registered", "registered_id", "severity"), [
    ("钱梅风", "钱梅凤", "11010519491231002X", "info"),  # one glyph printed alike, the ID number agrees: noted
    ("问洁", "闫洁", "11010519491231002X", "info"),
    ("马森", "马鑫", "11010519491231002X", "info"),
    ("钱梅风", "钱梅凤", None, "warning"),  # the register holds no ID number to say it is the same person
    ("吴辉军", "吴辉", "11010519491231002X", "warning"),  # one glyph too many
    ("钱梅军", "钱梅凤", "11010519491231002X", "warning"),  # one glyph off, not printed alike
    ("张强", "张伟", "11010519491231002X", "error"),  # two-character names one apart: another person
    ("问洁", "闫洁", None, "warning"),  # …unless the differing characters print alike
    ("李娜", "张伟", "11010519491231002X", "error"),  # another person
])
def test_a_name_one_character_from_the_registers_goes_to_a_human(printed, registered, registered_id, severity):
    facts = Facts(register=DictRegister([record(name=registered, id_number=registered_id)]))
    reading = make_reading("special_operation", {**GENUINE["special_operation"], "name": printed},
                           qr=[QR["special_operation"]])
    result = verify(reading, context("special_operation", facts))
    [found] = [f for f in result.findings if f.code == "REGISTRY_MISMATCH"]
    assert found.evidence["fields"] == ["name"] and found.severity == severity
    assert result.verdict == {"info": "pass", "warning": "suspect", "error": "reject"}[severity]


@pytest.mark.parametrize(("printed", "severity"), [
    ("潮北省应急管理厅", "info"),  # 湖 misread as 潮, printed alike: noted
    ("泪北省应急管理厅", "warning"),  # 湖 misread as a character that does not print alike: 泪北省 is no place
    ("山东市和管理厅", "warning"),  # too damaged to name a place and an agency
    ("河北省应急管理厅", "error"),  # another province's authority
    ("湖南省应急管理厅", "error"),
])
def test_an_authority_goes_to_a_human_instead_of_rejecting_only_when_it_names_no_real_place(printed, severity):
    facts = Facts(register=DictRegister([record(authority="湖北省应急管理厅")]))
    reading = make_reading("special_operation", {**GENUINE["special_operation"], "authority": printed},
                           qr=[QR["special_operation"]])
    [found] = [f for f in verify(reading, context("special_operation", facts)).findings
               if f.code == "REGISTRY_MISMATCH"]
    assert found.evidence["fields"] == ["authority"] and found.severity == severity


@pytest.mark.parametrize(("registered", "severity"), [
    (date(2028, 12, 29), "warning"),  # the card runs out sooner than its record: a misread or an older issue
    (date(2026, 2, 28), "error"),  # the card runs out later than its record: an alteration
])
def test_an_expiry_before_the_registers_goes_to_a_human_and_one_after_it_rejects(registered, severity):
    facts = Facts(register=DictRegister([record(valid_until=registered)]))
    [found] = [f for f in verify(genuine("special_operation"), context("special_operation", facts)).findings
               if f.code == "REGISTRY_MISMATCH"]
    assert found.evidence["fields"] == ["valid_until"] and found.severity == severity


@pytest.mark.parametrize(("registered", "severity"), [
    (record(first_issued=date(2022, 3, 11)), "info"),  # 2022-03-01 on the card: one digit of the day
    (record(first_issued=date(2020, 3, 1)), "warning"),  # one digit of the year, the expiry agrees
    (record(first_issued=date(2019, 3, 1)), "error"),  # two digits: another date
    (record(first_issued=date(2022, 3, 11), valid_until=date(2029, 2, 28)), "error"),  # the expiry differs too
])
def test_a_first_issue_one_digit_off_goes_to_a_human_only_beside_the_registers_expiry(registered, severity):
    facts = Facts(register=DictRegister([registered]))
    [found] = [f for f in verify(genuine("special_operation"), context("special_operation", facts)).findings
               if f.code == "REGISTRY_MISMATCH"]
    assert "first_issued" in found.evidence["fields"] and found.severity == severity


@pytest.mark.parametrize(("registered", "severity"), [
    (date(2028, 2, 20), "info"),  # 2028-02-29 on the card: one digit of the day
    (date(2028, 2, 9), "info"),
    (date(2028, 2, 17), "error"),  # two digits of the day: another date
    (date(2027, 2, 28), "error"),  # a year later on the card: an alteration
])
def test_a_date_whose_day_alone_is_one_digit_off_the_registers_is_noted(registered, severity):
    """Days of validity gain the holder nothing, and a day's digit is the reader's commonest slip."""
    facts = Facts(register=DictRegister([record(valid_until=registered)]))
    report = verify(genuine("special_operation"), context("special_operation", facts))
    [found] = [f for f in report.findings if f.code == "REGISTRY_MISMATCH"]
    assert found.evidence["fields"] == ["valid_until"] and found.severity == severity
    assert (report.verdict == "pass") == (severity == "info")


def test_a_near_name_beside_another_difference_still_rejects():
    facts = Facts(register=DictRegister([record(name="钱梅凤", first_issued=date(2019, 7, 1))]))
    reading = make_reading("special_operation", {**GENUINE["special_operation"], "name": "钱梅风"},
                           qr=[QR["special_operation"]])
    [found] = [f for f in verify(reading, context("special_operation", facts)).findings
               if f.code == "REGISTRY_MISMATCH"]
    assert found.evidence["fields"] == ["name", "first_issued"] and found.severity == "error"
