"""Authorities re-read from closed lists: agencies from the kind file, places from stdnum's division table."""

from __future__ import annotations

import pytest

from ocr.places import PLACE_FIX_QUALITY, fix_authority, one_edit_apart, place_names

EMERGENCY = ("应急管理厅", "应急管理局")
HOUSING = ("住房和城乡建设厅", "住房和城乡建设委员会")


def test_place_names_come_from_the_division_table():
    names = place_names()
    assert {"四川省", "成都市", "北京市", "拉萨市", "广西壮族自治区", "海口市"} <= names and "市辖区" not in names
    assert not any(name.startswith("[") for name in names)  # dated names ("[1988-]海口市") undated


@pytest.mark.parametrize(("read", "agencies", "expected", "quality"), [
    ("四省应急管理厅", EMERGENCY, "四川省应急管理厅", PLACE_FIX_QUALITY),  # a character lost
    ("四仟省应急管理厅", EMERGENCY, "四川省应急管理厅", PLACE_FIX_QUALITY),  # a character misread
    ("成成都市应急管理局", EMERGENCY, "成都市应急管理局", PLACE_FIX_QUALITY),  # a character read twice
    ("湖南省住房和城多建设厅", HOUSING, "湖南省住房和城乡建设厅", PLACE_FIX_QUALITY),
    ("北京市住房和城乡建设委员会", HOUSING, "北京市住房和城乡建设委员会", 1.0),
    ("广东省深圳市应急管理局", EMERGENCY, "广东省深圳市应急管理局", 1.0),  # province + prefecture
    ("海口市应急管理局", EMERGENCY, "海口市应急管理局", 1.0),  # not 营口市, one character away
    ("西藏自治区住房和城乡建设厅住房和城多建设部监制", HOUSING, "西藏自治区住房和城乡建设厅", PLACE_FIX_QUALITY),
    ("拉萨市应急管理启", EMERGENCY, "拉萨市应急管理启", 1.0),  # 厅 or 局: two agencies one edit away
    ("某某公司安全部", EMERGENCY, "某某公司安全部", 1.0),  # no agency: kept as read
])
def test_a_near_miss_of_place_or_agency_is_re_read_only_when_unambiguous(read, agencies, expected, quality):
    assert fix_authority(read, agencies) == (expected, pytest.approx(quality))


def test_one_edit_apart():
    assert one_edit_apart("四省", "四川省") and one_edit_apart("ab", "ac") and one_edit_apart("abc", "ab")
    assert not one_edit_apart("ab", "ab") and not one_edit_apart("ab", "cd") and not one_edit_apart("a", "abc")
