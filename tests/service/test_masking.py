"""Masking of ID and certificate numbers in pages, API answers and exports: first 6 and last 4 characters only."""

from __future__ import annotations

from service.masking import mask, mask_numbers, masked
from service.web.display import evidence_rows


def test_numbers_keep_their_first_six_and_last_four_characters():
    assert mask("11010519491231002X") == "110105********002X"
    assert mask("T11010519491231002X") == "T11010*********002X"
    assert mask("豫A012019000123") == "豫A0120****0123"
    assert mask("1234567890") == "**********"  # too short to show any of it


def test_masking_is_idempotent():
    assert mask(mask("11010519491231002X")) == mask("11010519491231002X")


def test_numbers_inside_text_are_masked_and_dates_are_not():
    text = "证号 T11010519491231002X, QR https://cx.mem.gov.cn/?certNum=110105194912310038, 豫A012019000123, 2019-03-01"
    assert mask_numbers(text) == ("证号 T11010*********002X, QR https://cx.mem.gov.cn/?certNum=110105********0038, "
                                  "豫A0120****0123, 2019-03-01")


def test_evidence_names_the_field_and_masks_a_number_read_off_the_card():
    evidence = {"field": "number", "read": "T1101O519491231002X", "expected": r"^T?\d{17}[\dX]$", "box": [1, 2, 3, 4]}
    assert evidence_rows(masked(evidence)) == [
        ("Field", "Certificate no."), ("Read", "T1101O*********002X"), ("Expected", r"^T?\d{17}[\dX]$"),
    ]


def test_a_masked_contract_hides_every_number_and_keeps_everything_else():
    contract = {
        "source": "11010519491231002X.jpg", "scheme": "special_operation", "verdict": "reject",
        "fields": {"number": "T11010519491231002X", "id_number": "11010519491231002X", "name": "张三",
                   "valid_until": "2028-02-29"},
        "field_confidence": {"number": 0.97},
        "qr": {"payloads": ["https://cx.mem.gov.cn/special?certNum=T11010519491231002X"]},
        "findings": [
            {"code": "NUMBER_INVALID", "severity": "error", "message": "The number T1101O519491231002X is malformed.",
             "evidence": {"field": "number", "read": "T1101O519", "expected": r"^T?\d{17}[\dX]$", "box": [1, 2, 3, 4]}},
            {"code": "REGISTRY_MISMATCH", "severity": "error", "message": "…",
             "evidence": {"fields": ["id_number"], "read": {"id_number": "11010519491231002X"},
                          "expected": {"id_number": "110105194912310038"}}},
        ],
    }
    shown = masked(contract)
    assert shown["source"] == "110105********002X.jpg"
    assert shown["fields"] == {"number": "T11010*********002X", "id_number": "110105********002X", "name": "张三",
                               "valid_until": "2028-02-29"}
    assert shown["qr"]["payloads"] == ["https://cx.mem.gov.cn/special?certNum=T11010*********002X"]
    number_invalid, mismatch = shown["findings"]
    assert number_invalid["message"] == "The number T1101O51949****002X is malformed."
    assert number_invalid["evidence"] == {"field": "number", "read": "*********", "expected": r"^T?\d{17}[\dX]$",
                                          "box": [1, 2, 3, 4]}
    assert mismatch["evidence"]["read"] == {"id_number": "110105********002X"}
    assert mismatch["evidence"]["expected"] == {"id_number": "110105********0038"}
    assert shown["field_confidence"] == {"number": 0.97} and contract["fields"]["number"] == "T11010519491231002X"
