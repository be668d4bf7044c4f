"""fields: kind classification by title, and label-anchored extraction on hand-built text lines."""

from __future__ import annotations

import re

import pytest

from ocr.fields import build_rows, classify, extract_fields, fit_pattern, read_fields, resolve_code, snap
from ocr.places import PLACE_FIX_QUALITY
from ocr.types import Box, DocumentSpec, FieldSpec, TextLine

CJK_WIDTH, LATIN_WIDTH, HEIGHT = 30, 16, 30


def line(text: str, x: int, y: int, confidence: float = 0.95) -> TextLine:
    """A text line as an engine would return it, its width estimated from its characters."""
    width = sum(LATIN_WIDTH if c.isascii() else CJK_WIDTH for c in text)
    return TextLine(text, confidence, Box(x, y, width, HEIGHT))


def title(text: str = "中华人民共和国特种作业操作证") -> TextLine:
    return line(text, 200, 30)


def values(result) -> dict[str, str | None]:
    return {name: reading.value for name, reading in result.fields.items()}


@pytest.mark.parametrize("printed", ["姓/名：张伟", "姓名：张伟", "姓 名: 张伟", "姓　名　张伟", "姓名:张伟", "姓  名  ：  张 伟", "姓名 “张伟"])
def test_label_spacing_and_colon_variants(specs, printed):
    result = extract_fields([title(), line(printed, 300, 130)], specs["special_operation"])
    assert result.fields["name"].value == "张伟"


def test_every_spelling_of_a_label_is_used(specs):
    lines = [title(), line("操作项目：低压电工作业", 300, 130), line("发证机关：北京市应急管理局", 300, 190)]
    assert values(extract_fields(lines, specs["special_operation"])) == {
        "item": "低压电工作业", "authority": "北京市应急管理局"}


def test_label_and_value_as_separate_lines_on_one_row(specs):
    lines = [title(), line("证号", 60, 130), line("T11010519491231002X", 260, 132)]
    reading = extract_fields(lines, specs["special_operation"]).fields["number"]
    assert reading.value == "T11010519491231002X"
    assert reading.box == Box(260, 132, 19 * LATIN_WIDTH, HEIGHT)


def test_value_on_the_line_below_its_label(specs):
    lines = [title(), line("签发机关", 300, 130), line("北京市应急管理局", 300, 170), line("性别", 300, 240),
             line("女", 300, 280)]
    assert values(extract_fields(lines, specs["special_operation"])) == {"authority": "北京市应急管理局", "sex": "女"}


def test_two_label_value_pairs_on_one_ocr_line(specs):
    lines = [title(), line("姓 名 张伟     性 别 男", 50, 130), line("作业类别 电工作业 准操项目 低压电工作业", 50, 200)]
    assert values(extract_fields(lines, specs["special_operation"])) == {
        "name": "张伟", "sex": "男", "category": "电工作业", "item": "低压电工作业"}


def test_table_of_labels_over_values(specs):
    lines = [title("中华人民共和国特种设备安全管理和作业人员证"),
             line("姓名", 250, 130), line("证件编号", 520, 130),
             line("李娜", 250, 170), line("510602197603143578", 520, 172),
             line("作业项目代号", 60, 380), line("批准日期", 360, 380), line("有效日期", 640, 380),
             line("Q2", 62, 430), line("2019.07.25", 361, 430), line("2023.07.24", 641, 430)]
    assert values(extract_fields(lines, specs["special_equipment"])) == {
        "name": "李娜", "number": "510602197603143578", "item": "Q2",
        "first_issued": "2019-07-25", "valid_from": "2019-07-25", "valid_until": "2023-07-24"}


def test_one_label_feeds_two_fields(specs):
    lines = [title("特种设备作业人员证"), line("批准日期：2019年7月25日", 60, 130)]
    result = extract_fields(lines, specs["special_equipment"])
    assert result.fields["first_issued"].value == result.fields["valid_from"].value == "2019-07-25"
    assert result.fields["first_issued"].box == result.fields["valid_from"].box


@pytest.mark.parametrize("printed", ["有效期限：2019-07-25 至 2025-07-24", "有效期：2019.07.25-2025.07.24",
                                     "有效期限 自2019年07月25日至2025年07月24日"])
def test_a_date_range_gives_both_ends(specs, printed):
    result = extract_fields([title(), line(printed, 60, 130)], specs["special_operation"])
    assert (result.fields["valid_from"].value, result.fields["valid_until"].value) == ("2019-07-25", "2025-07-24")
    assert "2025" in result.fields["valid_until"].raw


def test_a_range_with_an_unreadable_end_keeps_the_readable_end_and_the_raw_text(specs):
    result = extract_fields([title(), line("有效期限：2019-07-25 至 20?5-0?-24", 60, 130)], specs["special_operation"])
    assert (result.fields["valid_from"].value, result.fields["valid_until"].value) == ("2019-07-25", None)
    assert "20?5" in result.fields["valid_until"].raw
    assert result.fields["valid_until"].confidence == 0.0


def test_explicit_end_date_label_is_not_mistaken_for_the_range_label(specs):
    lines = [title(), line("有效期起 2019-07-25", 60, 130), line("有效期至 2025-07-24", 60, 190)]
    assert values(extract_fields(lines, specs["special_operation"])) == {
        "valid_from": "2019-07-25", "valid_until": "2025-07-24"}


def with_doubt(printed: TextLine, doubtful: str, confidence: float = 0.4) -> TextLine:
    """The line with the engine unsure of the characters in `doubtful`."""
    scores = tuple(confidence if char in doubtful else printed.confidence for char in printed.text)
    return TextLine(printed.text, printed.confidence, printed.box, char_confidences=scores)


def test_category_snaps_to_the_vocabulary_and_keeps_the_raw_reading(specs):
    misread = with_doubt(line("作业类别：电エ作业", 60, 130), "エ")
    reading = extract_fields([title(), misread], specs["special_operation"]).fields["category"]
    assert (reading.value, reading.raw) == ("电工作业", "电エ作业")
    assert reading.confidence < 0.95


def test_a_category_surely_printed_off_the_catalogue_is_not_snapped(specs):
    # 高空作业 is one character from 高处作业; read with confidence, it is what the card says.
    reading = extract_fields([title(), line("作业类别：高空作业", 60, 130)], specs["special_operation"]).fields["category"]
    assert reading.value == "高空作业"
    misread = with_doubt(line("作业类别：高空作业", 60, 130), "空")
    assert extract_fields([title(), misread], specs["special_operation"]).fields["category"].value == "高处作业"


def test_a_stray_symbol_read_surely_is_still_a_misreading(specs):
    """No catalogue name prints "#": read with confidence for 井 (its strokes), the item still snaps."""
    reading = extract_fields([title(), line("准操项目：煤矿#下电气作业", 60, 130)], specs["special_operation"]).fields["item"]
    assert reading.value == "煤矿井下电气作业"


def test_a_character_read_surely_in_place_of_one_printed_alike_is_still_a_misreading(specs):
    """并 for 井 (and 煤 lost): the recogniser swaps characters printed alike with confidence."""
    fields = extract_fields([title(), line("准操项目：矿并下电气作业", 60, 130)], specs["special_operation"]).fields
    assert fields["item"].value == "煤矿井下电气作业"


def test_between_terms_as_close_the_one_a_character_printed_alike_away_is_taken():
    """加氧工艺作业 is as close to 氧化工艺作业 as to 加氢工艺作业; only 氢 prints like 氧."""
    assert snap("加氧工艺作业", ["氧化工艺作业", "加氢工艺作业", "聚合工艺作业"])[0] == "加氢工艺作业"
    assert snap("加氧工艺作业", ["氧化工艺作业", "加压工艺作业"])[0] == "加氧工艺作业"  # neither: left as read


def test_a_date_with_a_gap_inside_is_doubtful(specs):
    # "2025年1 月09日": a digit of 11月 was lost where the gap is; what is left still parses.
    fields = extract_fields([title(), line("初领日期：2025年1 月09日", 60, 130)], specs["special_operation"]).fields
    assert fields["first_issued"].value == "2025-01-09"
    assert fields["first_issued"].confidence < 0.6


def test_a_value_far_from_the_vocabulary_is_kept_as_read(specs):
    reading = extract_fields([title(), line("作业类别：木工作业组", 60, 130)], specs["special_operation"]).fields["category"]
    assert reading.value == "木工作业组"


def test_a_label_word_inside_a_value_does_not_cut_it(specs):
    value = "经省级以上住房和城乡建设主管部门认定的其他工种类别"
    lines = [title("建筑施工特种作业操作资格证书"), line(f"操作类别：{value}", 60, 130)]
    assert extract_fields(lines, specs["construction_operation"]).fields["category"].value == value


def test_a_long_label_with_one_misread_character_still_anchors_its_value(specs):
    reading = extract_fields([title(), line("发证机天：北京市应急管理局", 60, 130)], specs["special_operation"]).fields["authority"]
    assert reading.value == "北京市应急管理局"
    assert reading.confidence == pytest.approx(0.95 * 0.75)


def test_short_labels_must_match_exactly(specs):
    assert "name" not in extract_fields([title(), line("姓各：张伟", 60, 130)], specs["special_operation"]).fields


def test_id_lookalike_is_resolved_by_the_check_digit(specs):
    # B reads as 8 or 3; only 3 gives a valid GB 11643 check digit here.
    lines = [title("特种设备作业人员证"), line("证件编号：51060219760314B578", 60, 130, confidence=0.5)]
    reading = extract_fields(lines, specs["special_equipment"]).fields["number"]
    assert reading.value == "510602197603143578"
    assert reading.confidence == pytest.approx(0.9)  # a holding check digit corroborates the reading


def test_a_wrong_check_digit_is_never_corrected():
    assert resolve_code("510602197603143579") == ("510602197603143579", 1.0, False)
    assert resolve_code("T11010519491231002X") == ("T11010519491231002X", 1.0, True)
    assert resolve_code("TS2100000099937") == ("TS2100000099937", 1.0, False)


def test_confidence_is_engine_confidence_times_match_quality(specs):
    lines = [title(), line("姓名：张伟", 60, 130, confidence=0.8)]
    assert extract_fields(lines, specs["special_operation"]).fields["name"].confidence == pytest.approx(0.8)


def test_rows_merge_lines_at_the_same_height_left_to_right():
    rows = build_rows([line("男", 400, 132), line("性别", 60, 130), line("姓名", 60, 60)])
    assert [row.text for row in rows] == ["姓名", "性别男"]


def test_a_character_read_twice_where_two_boxes_overlap_is_kept_once(specs):
    # The detector cut one row into overlapping boxes; the first box's last character is the
    # second's first ("批准日期：2" + "2025-07-27").
    label = line("批准日期：2", 60, 130)
    value = line("2025-07-27", 60 + label.box.w - LATIN_WIDTH, 131)
    assert [row.text for row in build_rows([label, value])] == ["批准日期:2025-07-27"]
    # Overlapping by a third of a character ("工种类别：建" + "建筑电工"): still the one 建.
    label = line("工种类别：建", 60, 330)
    value = line("建筑电工", 60 + label.box.w - CJK_WIDTH // 3, 331)
    assert [row.text for row in build_rows([label, value])] == ["工种类别:建筑电工"]
    # Touching boxes that do not overlap keep every character ("1" then "12月").
    apart = line("2025年1", 60, 200)
    assert [row.text for row in build_rows([apart, line("12月", 60 + apart.box.w + 2, 200)])] == ["2025年112月"]


def test_a_labels_last_character_read_again_before_a_number_is_dropped_when_the_number_then_fits(specs):
    """The detector's boxes overlapped at 鄂 and its left half read as 号, the label's last character."""
    lines = [title("建筑施工特种作业操作资格证书"), line("证号：号", 60, 130), line("鄂F092020627857", 190, 131)]
    reading = extract_fields(lines, specs["construction_operation"]).fields["number"]
    assert reading.value == "鄂F092020627857" and reading.confidence < 0.95
    # A number that does not fit even so is left as read, for the rules to judge.
    lines = [title("建筑施工特种作业操作资格证书"), line("证号：号鄂F0920206278", 60, 130)]
    assert extract_fields(lines, specs["construction_operation"]).fields["number"].value == "号鄂F0920206278"


def test_classify_by_title_with_ocr_noise(specs):
    assert classify([line("中华人民共和国特种作业操怍证", 200, 30)], specs.values())[0] == "special_operation"
    assert classify([line("中华人民共和国", 300, 20), line("特种设备安全管理和作业人员证", 200, 60)],
                    specs.values())[0] == "special_equipment"
    assert classify([line("建筑施工特种作业操作资格证书", 200, 30)], specs.values()) == ("construction_operation", 1.0)


def test_a_new_kind_is_recognised_from_its_title_alone(specs):
    new_kind = DocumentSpec("mine_rescue", ("矿山救护队员资格证",), (FieldSpec("name", ("姓名",)),))
    lines = [line("矿山救护队员资格证", 200, 30), line("姓名：王强", 60, 130)]
    result = read_fields(lines, [*specs.values(), new_kind])
    assert (result.scheme, values(result)) == ("mine_rescue", {"name": "王强"})


def test_unrecognised_text_gives_no_scheme_and_no_fields(specs):
    result = read_fields([line("超市购物小票", 200, 30), line("姓名：张伟", 60, 130)], specs.values())
    assert (result.scheme, result.fields) == (None, {})
    assert result.scheme_confidence < 0.75


def test_near_twin_terms_snap_only_to_the_clearly_closer_one():
    items = ("氧化工艺作业", "过氧化工艺作业", "电工作业")
    assert snap("过氧化工艺作韭", items) == ("过氧化工艺作业", pytest.approx(6 / 7))
    assert snap("氧化工艺作业", items) == ("氧化工艺作业", 1.0)
    assert snap("电工作业C", ("电工作业A", "电工作业B")) == ("电工作业C", 1.0)  # as close to both: kept as read


def test_a_whole_term_followed_by_debris_snaps_with_reduced_quality():
    assert snap("电工作业准操", ("电工作业", "高处作业")) == ("电工作业", 0.9)


def test_each_end_of_a_range_has_its_own_box_and_confidence(specs):
    printed = line("有效期限：2019-07-25 至 2025-07-24", 60, 130)
    per_char = tuple(0.3 if i >= len("有效期限：2019-07-25 至 ") else 0.95 for i in range(len(printed.text)))
    printed = TextLine(printed.text, 0.9, printed.box, char_confidences=per_char)
    fields = extract_fields([title(), printed], specs["special_operation"]).fields
    start, end = fields["valid_from"], fields["valid_until"]
    assert start.box.x + start.box.w <= end.box.x
    assert start.confidence == pytest.approx(0.95) and end.confidence == pytest.approx(0.3)


def test_one_doubtful_character_lowers_the_value_confidence(specs):
    printed = line("姓名：欧阳于伟", 60, 130)
    per_char = tuple(0.2 if char == "于" else 0.95 for char in printed.text)
    printed = TextLine(printed.text, 0.9, printed.box, char_confidences=per_char)
    reading = extract_fields([title(), printed], specs["special_operation"]).fields["name"]
    assert reading.confidence == pytest.approx((0.95 * 3 + 0.2) / 4 / 2 + 0.2 / 2, abs=1e-3)
    assert reading.confidence < 0.6


def test_an_authority_re_read_from_a_near_miss_keeps_the_raw_reading_and_loses_confidence(specs):
    reading = extract_fields([title(), line("签发机关：北京市应急管于局", 60, 130)],
                             specs["special_operation"]).fields["authority"]
    assert (reading.value, reading.raw) == ("北京市应急管理局", "北京市应急管于局")
    assert reading.confidence == pytest.approx(0.95 * PLACE_FIX_QUALITY)


def test_low_confidence_debris_beside_a_value_is_dropped(specs):
    lines = [title(), line("签发机关", 60, 130), line("北京市应急管理局", 250, 130), line("2", 600, 132, confidence=0.3)]
    assert extract_fields(lines, specs["special_operation"]).fields["authority"].value == "北京市应急管理局"


def test_only_debris_beside_a_label_means_the_value_is_below(specs):
    lines = [title("特种设备作业人员证"), line("发证机关", 250, 230), line("2", 560, 236, confidence=0.3),
             line("沈阳市市场监督管理局", 250, 270)]
    assert extract_fields(lines, specs["special_equipment"]).fields["authority"].value == "沈阳市市场监督管理局"


@pytest.mark.parametrize("imprint", ["住房和城乡建设部监制", "住房和城乡建设部惠制"])
def test_the_cards_imprint_below_the_last_label_is_not_its_value(specs, imprint):
    """The authority printed too small to be found leaves the imprint (read right, or one character
    off) under its label: not the value."""
    lines = [title("建筑施工特种作业操作资格证书"), line("发证机关：", 250, 230), line(imprint, 300, 275)]
    assert "authority" not in extract_fields(lines, specs["construction_operation"]).fields


def test_a_value_below_never_takes_another_labels_value(specs):
    lines = [title(), line("初领日期 2019-07-25", 50, 130), line("复审日期", 430, 130),
             line("有效期限 2019-07-25 至 2025-07-24", 50, 190)]
    assert "review_date" not in extract_fields(lines, specs["special_operation"]).fields


def test_ruling_lines_and_pictures_read_as_text_do_not_join_rows():
    rows = build_rows([line("|", 300, 140), TextLine("_", 0.5, Box(470, 145, 29, 1)),
                       line("姓名", 500, 150), line("证件编号", 800, 140),
                       TextLine("口", 0.2, Box(60, 120, 180, 240)),  # a portrait read as one glyph
                       line("李娜", 500, 190), line("510602197603143578", 800, 190)])
    assert [row.text for row in rows] == ["|姓名证件编号", "李娜510602197603143578"]


def test_layout_boxes_keep_the_rows_of_a_tilted_photo_level():
    # In image pixels the right-hand pair sits a whole line lower; in the straightened frame it is level.
    lines = [TextLine("姓名", 0.9, Box(50, 100, 60, 30), layout_box=Box(50, 100, 60, 30)),
             TextLine("张伟", 0.9, Box(700, 135, 60, 30), layout_box=Box(700, 101, 60, 30)),
             TextLine("性别", 0.9, Box(50, 140, 60, 30), layout_box=Box(52, 141, 60, 30))]
    assert [row.text for row in build_rows(lines)] == ["姓名张伟", "性别"]


def test_debris_after_an_id_is_dropped_when_the_check_digit_then_holds():
    assert resolve_code("T11010519491231002X息") == ("T11010519491231002X", 1.0, True)
    assert resolve_code("T11010519491231002XL") == ("T11010519491231002X", 1.0, True)


def test_too_many_doubtful_id_characters_are_not_resolved_by_the_check_digit():
    value, quality, checksum = resolve_code("5106Z2Z976Z3Z43578")
    assert checksum is False and "Z" in value


CONSTRUCTION_NUMBER = re.compile(r"^[\u4e00-\u9fa5][A-Z]\d{2}(?:19|20)\d{2}\d{6}$", re.ASCII)


@pytest.mark.parametrize(("read", "expected", "quality"), [
    ("甘0042019961100", "甘O042019961100", 0.9),  # the city letter O read as a zero
    ("豫1012019000123", "豫I012019000123", 0.9),
    ("豫A012019000123", "豫A012019000123", 1.0),  # fits as read
    ("浙R06Z021280184", "浙R06Z021280184", 1.0),  # a letter typed for a digit stays for the rules
    ("豫A01201900012", "豫A01201900012", 1.0),  # a digit short: nothing to re-read
])
def test_a_code_is_fitted_to_its_structure_only_by_reading_digits_as_letters(read, expected, quality):
    assert fit_pattern(read, CONSTRUCTION_NUMBER) == (expected, quality)


@pytest.mark.parametrize("read", [
    "IL992015071679",  # the province character read as two Latin letters
    "J1IR032024592835",  # as three pieces (冀)
    "Y992019403200",  # lost
    "川IZ992021164033",  # read with its last stroke again as a letter
])
def test_a_code_whose_province_character_was_not_read_is_unreadable_not_malformed(read):
    assert fit_pattern(read, CONSTRUCTION_NUMBER) == (read, 0.0)


@pytest.mark.parametrize(("read", "authority", "expected"), [
    ("IL992015071679", "四川省住房和城乡建设厅", "川L992015071679"),  # 川's strokes read as a Latin letter
    ("J1IR032024592835", "四川省住房和城乡建设厅", "川R032024592835"),
    ("川IZ992021164033", "四川省住房和城乡建设厅", "川Z992021164033"),  # its last stroke read again
    ("Y992019403200", "山东省住房和城乡建设厅", "鲁Y992019403200"),  # lost
    ("Y992019403200", "贵州省住房和城乡建设厅", None),  # 贵 or 黔: the authority cannot say
    ("川IZ992021164033", "山东省住房和城乡建设厅", None),  # a 川 read, another province's authority
    ("IL992015071679", None, None),  # no authority read
])
def test_a_province_character_the_reader_lost_is_taken_from_the_issuing_authority(specs, read, authority, expected):
    lines = [title("建筑施工特种作业操作资格证书"), line(f"证书编号：{read}", 60, 130),
             *([line(f"发证机关：{authority}", 60, 170)] if authority else [])]
    number = extract_fields(lines, specs["construction_operation"]).fields["number"]
    if expected is None:
        assert (number.value, number.confidence) == (read, 0.0)
    else:
        assert number.value == expected and 0.6 <= number.confidence < 0.95


@pytest.mark.parametrize("read", [
    "豫012019000123",  # the city letter dropped: a malformed number, for the rules
    "Y99201940320",  # lost province, and a digit short too
    "豫AB12019000123",
    "豫AA012019000123",  # a letter doubled after the province: a typing slip, not a stroke read twice
])
def test_a_code_that_does_not_fit_after_its_head_is_not_called_unreadable(read):
    assert fit_pattern(read, CONSTRUCTION_NUMBER) == (read, 1.0)


def test_an_id_number_with_a_digit_doubled_is_malformed_not_unreadable():
    """Only a stroke beside a CJK character is taken for one read twice: a 1 doubled among digits is a slip."""
    pattern = re.compile(r"^T?(?P<id_number>\d{17}[\dX])$", re.ASCII)
    assert fit_pattern("1110105194912310021", pattern) == ("1110105194912310021", 1.0)


def test_a_name_read_as_one_character_is_not_trusted(specs):
    spec = specs["special_operation"]
    title = line("中华人民共和国特种作业操作证", 200, 30)
    one = extract_fields([title, line("姓名：汤", 60, 130)], spec).fields["name"]
    two = extract_fields([title, line("姓名：汤勇", 60, 130)], spec).fields["name"]
    assert (one.value, one.confidence) == ("汤", 0.0)
    assert two.value == "汤勇" and two.confidence > 0.5


def test_a_city_letter_that_looks_like_a_digit_is_kept_as_printed(specs):
    """D is a digit lookalike, but 苏D10… fits the construction number's structure as printed."""
    assert fit_pattern("苏0102020378072", CONSTRUCTION_NUMBER, printed="苏D102020378072") == ("苏D102020378072", 1.0)
    lines = [line("建筑施工特种作业操作资格证书", 200, 30), line("证书编号：苏D102020378072", 60, 130)]
    assert extract_fields(lines, specs["construction_operation"]).fields["number"].value == "苏D102020378072"


def test_the_number_field_carries_its_kinds_pattern(specs):
    number = next(f for f in specs["construction_operation"].fields if f.name == "number")
    lines = [line("建筑施工特种作业操作资格证书", 200, 30), line("证书编号：甘0042019961100", 60, 130)]
    reading = extract_fields(lines, specs["construction_operation"]).fields["number"]
    assert number.pattern and (reading.value, reading.raw) == ("甘O042019961100", "甘0042019961100")


def test_a_label_is_not_spelled_across_a_value_and_a_label_on_the_same_line(specs):
    lines = [line("特种设备作业人员证", 200, 30), line("作业种类：气瓶作业项目代号：P", 60, 130)]
    assert values(extract_fields(lines, specs["special_equipment"])) == {"category": "气瓶作业", "item": "P"}
    # A label holding a shorter one (证号 in 身份证号) is still the longer label.
    lines = [line("建筑施工特种作业操作资格证书", 200, 30), line("身份证号：42010619730927192X", 60, 130)]
    assert values(extract_fields(lines, specs["construction_operation"])) == {"id_number": "42010619730927192X"}


def test_a_label_is_not_spelled_across_a_value_and_the_next_label(specs):
    # "作业种类：锅炉作业" and "项目代号：电站锅炉司炉" side by side: 作业 + 项目 spells the item label 作业项目.
    first = line("作业种类：锅炉作业", 60, 130)
    lines = [line("特种设备作业人员证", 200, 30), first, line("项目代号：电站锅炉司炉", 60 + first.box.w + 40, 130)]
    assert values(extract_fields(lines, specs["special_equipment"])) == {
        "category": "锅炉作业", "item": "电站锅炉司炉"}


def test_the_sex_label_run_on_after_the_name_ends_it(specs):
    """Name and sex on one line with no gap the engine saw: 性别 followed only by 男 or 女 is the label."""
    lines = [line("建筑施工特种作业操作资格证书", 200, 30), line("姓名汪佳性别女", 60, 130)]
    assert values(extract_fields(lines, specs["construction_operation"])) == {"name": "汪佳", "sex": "女"}
    lines = [line("建筑施工特种作业操作资格证书", 200, 30), line("姓名汪性别", 60, 130)]
    assert values(extract_fields(lines, specs["construction_operation"]))["name"] == "汪性别"


def test_a_longer_label_with_one_character_misread_wins_over_a_shorter_one_spelled_exactly(specs):
    """有效期结乘日期: is 有效期结束日期 (valid until), not the validity label 有效期 and a value "结乘日期:"."""
    lines = [line("建筑施工特种作业操作资格证书", 200, 30), line("有效期结乘日期：2027.12.21", 60, 130)]
    assert values(extract_fields(lines, specs["construction_operation"])) == {"valid_until": "2027-12-21"}


def test_a_label_with_a_speck_read_as_a_stroke_inside_it_is_the_label(specs):
    lines = [line("特种作业操作证", 200, 30), line("有效1期限：2022-11-13至2028-11-13", 60, 130)]
    assert values(extract_fields(lines, specs["special_operation"])) == {
        "valid_from": "2022-11-13", "valid_until": "2028-11-13"}


def test_a_label_run_on_with_one_character_misread_ends_the_value_before_it(specs):
    """准操项目 read as 维操项目 right after the category, no gap: one character off and followed by a
    colon, it is still the item's label; without the colon it is part of the value."""
    lines = [line("特种作业操作证", 200, 30), line("作业类别：烟花爆竹安全作业维操项目:火药制造作业", 60, 130)]
    fields = extract_fields(lines, specs["special_operation"]).fields
    assert (fields["category"].value, fields["item"].value) == ("烟花爆竹安全作业", "火药制造作业")
    assert fields["item"].confidence < fields["category"].confidence  # the label was a guess
    lines = [line("特种作业操作证", 200, 30), line("作业类别：烟花爆竹安全作业维操项目", 60, 130)]
    assert "item" not in extract_fields(lines, specs["special_operation"]).fields


@pytest.mark.parametrize(("printed", "read"), [("作业项目：NI", "N1"), ("作业项目：Gl", "G1"), ("作业项目：N1", "N1"),
                                               ("作业项目：Q3", "Q3")])
def test_an_item_code_read_with_a_letter_for_its_digit_is_the_catalogues(specs, printed, read):
    """N1 read as NI is the catalogue's N1; a code the catalogue lacks (Q3) stays as read, for the rules."""
    title_line = title("中华人民共和国特种设备安全管理和作业人员证")
    reading = extract_fields([title_line, line(printed, 60, 130)], specs["special_equipment"]).fields["item"]
    assert reading.value == read


def test_the_title_sharing_a_row_with_the_first_value_is_not_part_of_it(specs):
    """A tilted photo's tall title line overlaps the name's row; the name stays the name (a genuine card
    was rejected for 付春永建筑施工特种作业操作资格证书)."""
    lines = [TextLine("建筑施工特种作业操作资格证书", 0.99, Box(277, 60, 509, 94)),  # as the reader gave them
             TextLine("姓名付春永", 1.0, Box(62, 117, 186, 55)), TextLine("性别男", 1.0, Box(62, 177, 123, 47))]
    fields = extract_fields(lines, specs["construction_operation"]).fields
    assert (fields["name"].value, fields["sex"].value) == ("付春永", "男")


def test_a_bracket_read_before_a_number_is_debris(specs):
    """"证件号码：（530102…" from a genuine scan: the bracket rejected the card (NUMBER_INVALID)."""
    lines = [title("建筑施工特种作业操作资格证书"), line("证件号码：（530102198406129532", 60, 130)]
    assert extract_fields(lines, specs["construction_operation"]).fields["id_number"].value == "530102198406129532"


def test_a_value_sharing_words_with_the_title_is_not_taken_for_it(specs):
    lines = [title("特种设备安全管理和作业人员证"), line("种类：特种设备安全管理作业项目：A", 60, 130)]
    fields = extract_fields(lines, specs["special_equipment"]).fields
    assert (fields["category"].value, fields["item"].value) == ("特种设备安全管理", "A")


@pytest.mark.parametrize(("rows", "expected"), [
    ([line("男", 200, 140)], {"sex": "男"}),  # 性别 not read: a lone 男 is the sex
    # 证 of 证号 lost: the check digit names the number
    ([line("号：T11010519491231002X", 60, 180)], {"number": "T11010519491231002X"}),
    ([line("男", 200, 140), line("女", 200, 180)], {"sex": None}),  # two lone values: neither
    ([line("T11010519491231002", 60, 180)], {"number": None}),  # no check digit to corroborate it
    ([line("男士", 200, 140)], {"sex": None}),  # not a lone character
    # 准操项目 misread: the whole item ends its row; 电工作业, a category, ends it too but is shorter
    ([line("准探顶日低压电工作业", 60, 220)], {"item": "低压电工作业", "category": None}),
    ([line("作类列电工作业", 60, 220)], {"category": "电工作业", "item": None}),
    ([line("其他的一些话电工作业", 60, 220)], {"category": None}),  # more than a label's debris before it
    ([line("电工作业人员", 60, 220)], {"category": None}),  # a term not ending the row
])
def test_a_value_whose_label_was_lost_is_read_by_its_form_alone(specs, rows, expected):
    fields = extract_fields([title(), line("姓名：张伟", 60, 100), *rows, line("签发机关：北京市应急管理局", 60, 300)],
                            specs["special_operation"]).fields
    assert {name: fields[name].value if name in fields else None for name in expected} == expected
    assert all(fields[name].confidence <= 0.95 * 0.8 for name, value in expected.items() if value)


@pytest.mark.parametrize(("printed", "until"), [
    ("有效期：2024-09-08至2026-69-07", "2026-09-07"),  # 0 read as 6: month 69
    ("有效期：2026.02.12至202802.41", "2028-02-11"),  # 1 read as 4: day 41
    ("有效期：2026.02.12至202802.42", "2028-02-12"),  # the span's other form, to the day
])
def test_an_end_read_as_no_calendar_day_is_told_by_the_span(specs, printed, until):
    """Two-year construction cards: the start and the span allow one day within one digit of what was read."""
    spec = specs["construction_operation"]
    result = extract_fields([title("建筑施工特种作业操作资格证书"), line(printed, 60, 130)], spec)
    assert spec.validity_years == 2
    assert result.fields["valid_until"].value == until
    assert result.fields["valid_until"].confidence == pytest.approx(0.8 * result.fields["valid_from"].confidence,
                                                                     abs=1e-3)


@pytest.mark.parametrize(("printed", "until"), [
    ("有效期：2024-09-08至2026-69-17", None),  # two digits from the span's days
    ("有效期：2024-09-08至2026-09-00", None),  # one digit from both of the span's days: no telling which
    ("有效期：2024-09-08至2029-09-07", "2029-09-07"),  # a real day off the span: read as printed, for the rules
])
def test_only_an_impossible_day_one_digit_from_one_span_day_is_told(specs, printed, until):
    spec = specs["construction_operation"]
    result = extract_fields([title("建筑施工特种作业操作资格证书"), line(printed, 60, 130)], spec)
    assert result.fields["valid_from"].value == "2024-09-08"
    assert result.fields["valid_until"].value == until


def test_a_start_read_as_no_calendar_day_is_told_by_the_end(specs):
    result = extract_fields([title("建筑施工特种作业操作资格证书"), line("有效期：2024-19-08至2026-09-07", 60, 130)],
                            specs["construction_operation"])
    assert (result.fields["valid_from"].value, result.fields["valid_until"].value) == ("2024-09-08", "2026-09-07")
