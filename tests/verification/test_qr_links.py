"""QR rules on hand-built readings: which code a payload raises and the evidence a reviewer gets."""

from __future__ import annotations

import pytest
from helpers import GENUINE, QR, context, make_reading

from verification.findings import Severity
from verification.verify import verify

NUMBER = GENUINE["special_operation"]["number"]


def findings(payloads: list[str], scheme: str = "special_operation", **fields: str):
    reading = make_reading(scheme, {**GENUINE[scheme], **fields}, qr=payloads)
    return verify(reading, context(scheme)).findings


@pytest.mark.parametrize("payload", [
    QR["special_operation"],
    f"http://cx.mem.gov.cn/special?index=0&certNum={NUMBER}",
    f"HTTPS://CX.MEM.GOV.CN/special?index=0&certNum={NUMBER}",
    f"https://cx.mem.gov.cn./special?certNum={NUMBER}",
    f"https://cx.mem.gov.cn:443/special/detail/{NUMBER}",
    f"cx.mem.gov.cn/special?certNum={NUMBER}",
    "https://www.mem.gov.cn/fw/cxfw/",
    "https://cx.mem.gov.cn/",
])
def test_official_hosts_with_any_path_scheme_case_trailing_dot_or_port_raise_nothing(payload):
    assert findings([payload]) == []


def test_a_look_alike_names_the_host_the_official_host_it_resembles_and_the_trick():
    payload = f"https://cx.mem.gov.cn.cx-query.com/special?certNum={NUMBER}"
    [found] = findings([payload])
    assert (found.code, found.severity) == ("QR_LOOKALIKE_HOST", Severity.ERROR)
    assert found.evidence == {
        "field": "qr", "read": payload, "host": "cx.mem.gov.cn.cx-query.com", "registered_domain": "cx-query.com",
        "expected": "cx.mem.gov.cn", "trick": ["official-name-as-subdomain"], "box": [500, 300, 120, 120],
    }
    assert "cx.mem.gov.cn.cx-query.com" in found.message and "subdomain of another domain" in found.message


def test_an_idn_look_alike_is_shown_as_read_and_as_punycode():
    [found] = findings(["https://xn--cx-mm-5ve.gov.cn/special"])
    assert found.code == "QR_LOOKALIKE_HOST"
    assert (found.evidence["host"], found.evidence["punycode"]) == ("cxа-mm.gov.cn", "xn--cx-mm-5ve.gov.cn")
    assert found.evidence["trick"] == ["idn-confusable", "edit-distance"]


@pytest.mark.parametrize(("payload", "expected", "trick"), [
    ("https://cx-mem-gov.cn/special", "cx.mem.gov.cn", ["hyphenation"]),
    ("https://cx.mern.gov.cn/special", "cx.mem.gov.cn", ["homoglyph"]),
    ("https://mem-gov.cn/special", "mem.gov.cn", ["hyphenation"]),
    ("https://cx.mem.g0v.cn/special", "cx.mem.gov.cn", ["homoglyph"]),
])
def test_each_look_alike_family_reaches_the_finding(payload, expected, trick):
    [found] = findings([payload])
    assert (found.code, found.evidence["expected"], found.evidence["trick"]) == ("QR_LOOKALIKE_HOST", expected, trick)


def test_an_unrelated_host_is_unofficial_with_the_official_hosts_as_expected():
    [found] = findings(["http://cert365.top/fwmh/pages/index.html?certNum=" + NUMBER])
    assert found.code == "QR_UNOFFICIAL_HOST"
    assert found.evidence["host"] == "cert365.top" and found.evidence["expected"] == ["cx.mem.gov.cn"]
    assert "not an official query host for a" in found.message


def test_user_info_before_the_host_does_not_make_a_link_official():
    [found] = findings([f"https://cx.mem.gov.cn@cx-query.com/special?certNum={NUMBER}"])
    assert (found.code, found.evidence["host"]) == ("QR_UNOFFICIAL_HOST", "cx-query.com")


def test_an_ip_address_is_unofficial_and_asks_for_a_manual_check():
    [found] = findings(["http://203.0.113.7/cx?certNum=" + NUMBER])
    assert found.code == "QR_UNOFFICIAL_HOST" and "IP address" in found.message


def test_a_host_the_kind_lists_as_unconfirmed_is_not_official_and_says_so():
    number = GENUINE["special_equipment"]["number"]
    [found] = findings([f"https://cnse.e-cqs.cn/info-pub/pubh5?zjhm={number}"], "special_equipment")
    assert found.code == "QR_UNOFFICIAL_HOST" and "unconfirmed" in found.message


def test_the_official_host_of_another_kind_is_unofficial_for_this_one():
    [found] = findings(["https://cnse.samr.gov.cn/info-pub/pub?zjhm=11010519491231002X"])
    assert found.code == "QR_UNOFFICIAL_HOST"


def test_only_the_fake_of_two_payloads_is_reported():
    [found] = findings([QR["special_operation"], "https://cx-mem-gov.cn/special"])
    assert found.evidence["host"] == "cx-mem-gov.cn"


@pytest.mark.parametrize("payload", ["CX:OPAQUE-TOKEN-1234", "证号:T11010519491231002X", "张三.T11010519491231002X"])
def test_payloads_that_are_not_links_are_not_judged_by_host(payload):
    assert findings([payload]) == []


@pytest.mark.parametrize(("scheme", "payload", "number"), [
    ("special_operation", "https://cx.mem.gov.cn/special?certNum=T220105199001010012", "220105199001010012"),
    ("special_operation", "https://cx.mem.gov.cn/special/detail/T220105199001010012", "220105199001010012"),
    ("special_operation", "T220105199001010012", "220105199001010012"),
    ("construction_operation", "https://zlaq.mohurd.gov.cn/q?certNum=%E8%B1%ABA012025000999", "豫A012025000999"),
])
def test_a_number_in_the_payload_that_differs_from_the_printed_one_is_a_mismatch(scheme, payload, number):
    [found] = findings([payload], scheme)
    assert found.code == "QR_MISMATCH"
    assert found.evidence["expected"] == GENUINE[scheme]["number"]
    assert found.evidence["read"] == number


@pytest.mark.parametrize(("scheme", "payload"), [
    ("special_operation", f"https://cx.mem.gov.cn/special?certNum={NUMBER[1:]}"),  # without its letter prefix
    ("construction_operation", "https://zlaq.mohurd.gov.cn/q?certNum=%E8%B1%ABA012025000123"),  # percent-encoded
    ("special_operation", "https://cx.mem.gov.cn/special?index=0"),  # no number at all
])
def test_the_printed_number_in_any_encoding_or_no_number_is_no_mismatch(scheme, payload):
    assert findings([payload], scheme) == []


def test_a_missing_qr_is_a_warning_only_on_kinds_that_carry_one():
    [found] = verify(make_reading("special_operation", GENUINE["special_operation"]), context("special_operation")
                     ).findings
    assert (found.code, found.severity) == ("QR_MISSING", Severity.WARNING)
    assert verify(make_reading("construction_operation", GENUINE["construction_operation"]),
                  context("construction_operation")).findings == []


def test_an_unreadable_symbol_asks_for_a_retake_even_on_kinds_without_a_required_qr():
    for scheme in ("special_operation", "construction_operation"):
        report = verify(make_reading(scheme, GENUINE[scheme], symbol_seen=True), context(scheme))
        [found] = report.findings
        assert (found.code, found.severity, report.verdict) == ("QR_UNREADABLE", Severity.WARNING, "suspect")
        assert "retake" in found.message
