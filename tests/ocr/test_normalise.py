"""normalise: printed dates, ranges, sex and codes → canonical values; None rather than a guess."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import ric

from ocr.normalise import (
    find_dates,
    fix_digit_lookalikes,
    id_check_digit_ok,
    normalise_code,
    normalise_date,
    normalise_date_range,
    normalise_sex,
    normalise_text,
    to_half_width,
)


@pytest.mark.parametrize("printed", [
    "2019-07-25", "2019.07.25", "2019/7/25", "2019年7月25日", "2019年07月25日", "20190725",
    "2019 年 7 月 25 日", "２０１９－０７－２５", "2019。07。25", "2O19-O7-25", "2019-07-2５", "2019.O7.25",
    "20l9.07.25", "2019-07-25 ", "：2019-07-25",
    "2019-0725", "201907-25",  # a small separator lost in a blurred photo: two-digit month and day still tell
])
def test_printed_date_styles_become_iso(printed):
    assert normalise_date(printed) == "2019-07-25"


@pytest.mark.parametrize("printed", ["2019-02-30", "2019-13-01", "19-07-25", "", "电工作业", "201907255"])
def test_impossible_or_partial_dates_are_none(printed):
    assert normalise_date(printed) is None


def test_text_with_two_dates_is_not_a_single_date():
    assert normalise_date("2019-07-25 至 2025-07-24") is None


@pytest.mark.parametrize("printed", [
    "2019-07-25 至 2025-07-24", "2019.07.25-2025.07.24", "自2019年07月25日至2025年07月24日",
    "2019-07-25-2025-07-24", "20190725—20250724", "2019.07.25 ~ 2025.07.24", "2019-07-25到2025-07-24",
    "2019-07-25全2025-07-24",  # 至 misread under a seal: the separator does not matter
    "2019-0725至2025-0724",
])
def test_date_ranges(printed):
    assert normalise_date_range(printed) == ("2019-07-25", "2025-07-24")


def test_a_range_with_one_readable_end_keeps_it_on_the_side_the_separator_shows():
    assert normalise_date_range("2019-07-25 至 2025-O?-24") == ("2019-07-25", None)
    assert normalise_date_range("20?9-07-25 至 2025-07-24") == (None, "2025-07-24")
    assert normalise_date_range("2019-07-25") == (None, None)


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31)),
       st.sampled_from(["{y}-{m:02d}-{d:02d}", "{y}.{m}.{d}", "{y}年{m}月{d}日", "{y}{m:02d}{d:02d}", "{y}/{m}/{d}"]))
def test_any_date_in_any_style_round_trips(day, style):
    printed = style.format(y=day.year, m=day.month, d=day.day)
    assert find_dates(printed) == [day.isoformat()]


@pytest.mark.parametrize(("printed", "sex"), [
    ("男", "男"), ("女", "女"), ("男性", "男"), ("性别：女", "女"), (" 女 ", "女"), ("", None), ("男女", None), ("M", None),
])
def test_sex(printed, sex):
    assert normalise_sex(printed) == sex


@pytest.mark.parametrize(("printed", "code"), [
    ("T110105 1949 1231 002x", "T11010519491231002X"),
    ("11010519491231002×", "11010519491231002X"),
    ("T1101O519491231OO2X", "T11010519491231002X"),
    ("".join(chr(ord(c) + 0xFEE0) for c in "TS2100000099937"), "TS2100000099937"),  # full-width
    ("Q2", "Q2"),
    ("S1", "S1"),  # a letter code, not a lookalike
    ("：豫A012019000123", "豫A012019000123"),
])
def test_codes_are_compacted_and_lookalikes_repaired_only_in_digit_positions(printed, code):
    assert normalise_code(printed) == code


def test_lookalikes_next_to_latin_letters_are_kept():
    assert fix_digit_lookalikes("GTAW-FeII-6G") == "GTAW-FeII-6G"
    assert fix_digit_lookalikes("2O19年O7月") == "2019年07月"


def test_text_loses_spaces_between_cjk_but_keeps_latin_words():
    assert normalise_text("：北京市 应急 管理局 ") == "北京市应急管理局"
    assert normalise_text("场（厂）内专用机动车辆作业") == "场(厂)内专用机动车辆作业"
    assert normalise_text("Q2 司机") == "Q2 司机"


def test_a_bracket_at_either_end_that_closes_nothing_is_left_out():
    assert normalise_text("( 江西省住房和城乡建设厅") == "江西省住房和城乡建设厅"
    assert normalise_text("江西省应急管理厅）") == "江西省应急管理厅"
    assert normalise_text("建筑起重机械司机(塔式起重机)") == "建筑起重机械司机(塔式起重机)"


def test_half_width():
    assert to_half_width("ＡＢ１２：　（）") == "AB12: ()"


@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_gb11643_check_digit_holds_and_any_single_change_breaks_it(body):
    number = body + ric.calc_check_digit(body + "0")
    assert id_check_digit_ok(number)
    for i in range(17):
        changed = number[:i] + str((int(number[i]) + 1) % 10) + number[i + 1:]
        assert not id_check_digit_ok(changed)


def test_id_shape_is_required():
    assert not id_check_digit_ok("T11010519491231002X")
    assert id_check_digit_ok("11010519491231002X")
    assert not id_check_digit_ok("11010519491231002x")
