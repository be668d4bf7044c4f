"""Masking of ID and certificate numbers on the pages: first 6 and last 4 characters only."""

from __future__ import annotations

from service.web.display import evidence_rows
from service.web.masking import mask, mask_numbers


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
    assert evidence_rows(evidence) == [
        ("Field", "Certificate no."), ("Read", "T1101O*********002X"), ("Expected", r"^T?\d{17}[\dX]$"),
    ]
