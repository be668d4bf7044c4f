"""bench/verification.py: the figures from hand-made outcomes, DUPLICATE_NUMBER judged again, and a tiny real run."""

from __future__ import annotations

import os
import signal
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from bench.verification import (
    CRASHED,
    Analyser,
    Outcome,
    Raised,
    VerificationRun,
    judge_duplicates_again,
    run_verification,
    section,
)
from service.duplicates import sighting_of
from service.models import Check
from verification.facts import DictSightings, Facts


def made(number: int, variant: str = "genuine", verdict: str = "pass", *codes: str, capture: str = "scan",
         expected: tuple[str, ...] = ()) -> Outcome:
    return Outcome(f"set/{number:03d}_kind_{variant.lower()}_{capture}.jpg", variant, capture,
                   expected or (() if variant == "genuine" else (variant,)), verdict,
                   tuple(Raised.of(contract_finding(code)) for code in codes), 0.5, {"number": "A1", "name": "张三"})


def contract_finding(code: str) -> dict:
    """A finding as the contract lists it: on the number, read as X1 where the register lacks it."""
    return {"code": code, "severity": "warning", "message": "…",
            "evidence": {"field": "number", **({"read": "X1"} if code == "REGISTRY_NOT_FOUND" else {})}}


CATCH, RECALL, CAPTURE, ON_GENUINE, FAILED = ("Fraud catch per forged variant", "Recall per finding code",
                                             "Per capture", "Codes raised on genuine images",
                                             "Genuine images that did not pass")


def row(text: str, heading: str, first_cell: str) -> list[str]:
    """The cells of the row whose first cell is `first_cell` in the table under `### heading`."""
    part = text.split(f"\n### {heading}\n", 1)[1].split("\n### ", 1)[0]
    found = [line.split("|")[1:-1] for line in part.splitlines() if line.startswith(f"| {first_cell} |")]
    assert len(found) == 1, (first_cell, found)
    return [cell.strip() for cell in found[0]]


def target(text: str, start: str) -> str:
    found = [line for line in text.splitlines() if line.startswith(f"- {start}")]
    assert len(found) == 1, (start, found)
    return found[0]


def test_targets_and_tables_follow_the_outcomes():
    genuine = [made(i) for i in range(1, 101)]
    genuine[3] = made(4, "genuine", "suspect", "TAMPERING")
    genuine[5] = made(6, "genuine", "suspect", "LAYOUT_MISMATCH", capture="phone")
    genuine[7] = made(8, "genuine", "suspect", "LAYOUT_MISMATCH", "REGISTRY_NOT_FOUND", capture="lowres")
    forged = [made(101, "EXPIRED", "reject", "EXPIRED"), made(102, "EXPIRED", "reject", "EXPIRED"),
              made(103, "TAMPERING", "pass"), made(104, "TAMPERING", "suspect", "TAMPERING"),
              made(105, "EXPIRED", CRASHED)]
    text = section(VerificationRun(genuine + forged, "Made by hand. ", 1.0))

    assert text.startswith("## Verification: genuine pass, fraud catch, recall per code\n")
    assert target(text, "Genuine pass").endswith("97.0% (97/100) — **NOT MET**")
    assert "TAMPERING 50.0% (1/2)" in target(text, "Fraud catch") and "**NOT MET**" in target(text, "Fraud catch")
    assert "EXPIRED 66.7% (2/3)" in target(text, "Fraud catch")  # no verdict is no catch
    assert target(text, "TAMPERING false alarms").endswith("1.0% (1/100) — MET")
    assert target(text, "LAYOUT_MISMATCH false alarms").endswith("2.0% (2/100) — **NOT MET**")
    assert row(text, CATCH, "EXPIRED")[:3] == ["EXPIRED", "3", "66.7% (2/3)"]
    assert row(text, CATCH, "TAMPERING")[:3] == ["TAMPERING", "2", "50.0% (1/2)"]
    assert row(text, CATCH, "TAMPERING")[-1] == "set/103_kind_tampering_scan.jpg (pass)"
    assert row(text, ON_GENUINE, "REGISTRY_NOT_FOUND")[2:4] == ["1.0% (1/100)", "0.0% (0/98)"]
    assert row(text, CAPTURE, "**all**")[1:4] == ["105", "97.0% (97/100)", "60.0% (3/5)"]
    # the genuine images that did not pass, with what was read where it differs from the print
    assert row(text, FAILED, "set/008_kind_genuine_lowres.jpg")[3] == \
        "LAYOUT_MISMATCH (warning, number); REGISTRY_NOT_FOUND (warning, number read `X1`, printed `A1`)"
    assert "| set/103_kind_tampering_scan.jpg | scan | pass | none |" in text
    assert "| set/105_kind_expired_scan.jpg | scan | crashed | none |" in text


def test_a_finding_on_several_fields_names_each_and_what_was_read():
    mismatch = {"code": "REGISTRY_MISMATCH", "severity": "error", "message": "…",
                "evidence": {"fields": ["number", "name"], "read": {"number": "A1", "name": "李四"},
                             "expected": {"number": "A1", "name": "王五"}}}
    text = section(VerificationRun([replace(made(1), verdict="reject", findings=(Raised.of(mismatch),))], "", 1.0))
    assert "| REGISTRY_MISMATCH (error, number, name read `李四`, printed `张三`) |" in text


def test_recall_counts_every_image_expecting_a_code():
    outcomes = [made(1, "DUPLICATE_NUMBER", "suspect", "DUPLICATE_NUMBER"),
                made(2, "DUPLICATE_NUMBER", "reject", "DUPLICATE_NUMBER",
                     expected=("DUPLICATE_NUMBER", "REGISTRY_MISMATCH")),
                made(3, "REGISTRY_MISMATCH", "reject", "REGISTRY_MISMATCH")]
    text = section(VerificationRun(outcomes, "", 1.0))
    assert row(text, RECALL, "REGISTRY_MISMATCH")[1:5] == [
        "2", "1", "50.0% (1/2)", "set/002_kind_duplicate_number_scan.jpg (scan)"]
    assert row(text, RECALL, "DUPLICATE_NUMBER")[1:4] == ["2", "2", "100.0% (2/2)"]
    assert "Genuine" not in text


def stored(check_id: int, name: str) -> Check:
    result = {"scheme": "special_operation", "verdict": "pass", "findings": [],
              "fields": {"number": "T123", "name": name, "id_number": None}}
    return Check(id=check_id, scheme="special_operation", number="T123", verdict="pass", result=result)


def test_the_first_card_of_a_number_learns_of_a_later_holder():
    first, second, again = stored(1, "张三"), stored(2, "李四"), stored(3, "张三")
    sightings = DictSightings([sighting_of(check) for check in (first, second, again)])
    for check in (first, second, again):
        judge_duplicates_again(check, sightings)
    assert [check.verdict for check in (first, second, again)] == ["suspect"] * 3
    assert [f["evidence"]["checks"] for f in first.result["findings"]] == [[2]]
    alone = stored(4, "王五")
    judge_duplicates_again(replace_number(alone), sightings)
    assert alone.verdict == "pass" and alone.result["findings"] == []


def replace_number(check: Check) -> Check:
    check.number = check.result["fields"]["number"] = "T999"
    return check


def nothing() -> None:
    """No models to load in the child of these tests."""


def crash_on_odd(path: Path, facts: Facts, as_of: date) -> tuple[dict | str, float]:
    """In the child: die as a segfault in native code would, for the paths named odd."""
    if path.name == "odd":
        os.kill(os.getpid(), signal.SIGSEGV)
    return {"source": path.name}, 0.25


def test_an_image_that_crashes_its_process_is_recorded_and_the_next_one_still_checked():
    with Analyser(crash_on_odd, nothing) as analyser:
        outcomes = [analyser(Path(name), Facts(), date(2026, 7, 1)) for name in ("even", "odd", "even")]
    assert outcomes == [({"source": "even"}, 0.25), (CRASHED, 0.0), ({"source": "even"}, 0.25)]


@pytest.fixture(scope="module")
def tiny_run() -> VerificationRun:
    return run_verification(genuine=2, forged=1, variants=("EXPIRED", "DUPLICATE_NUMBER"))


@pytest.mark.slow
def test_a_tiny_real_run_reports_what_the_checks_found(tiny_run: VerificationRun):
    outcomes = tiny_run.outcomes
    assert [o.variant for o in outcomes] == ["genuine", "genuine", "EXPIRED", "DUPLICATE_NUMBER", "DUPLICATE_NUMBER"]
    assert all(o.verdict in {"pass", "suspect", "reject"} and o.seconds > 0 for o in outcomes)
    text = section(tiny_run)
    genuine = [o for o in outcomes if o.genuine]
    passed = sum(o.verdict == "pass" for o in genuine)
    assert f"{100 * passed / 2:.1f}% ({passed}/2)" in target(text, "Genuine pass")
    for variant, count in (("EXPIRED", 1), ("DUPLICATE_NUMBER", 2)):
        caught = sum(o.verdict != "pass" for o in outcomes if o.variant == variant)
        assert row(text, CATCH, variant)[:3] == [variant, str(count), f"{100 * caught / count:.1f}% ({caught}/{count})"]
    expired = next(o for o in outcomes if o.variant == "EXPIRED")
    assert "EXPIRED" in expired.codes and expired.verdict == "reject"  # a lapsed card is caught
    for o in genuine:
        if o.verdict != "pass":
            assert f"| {o.image} | {o.capture} | {o.verdict} |" in text


def test_genuine_cards_rejected_are_counted_apart_from_those_sent_to_a_human():
    genuine = [made(1), made(2, "genuine", "suspect", "FIELD_UNREADABLE"), made(3, "genuine", "reject", "EXPIRED"),
               made(4)]
    text = section(VerificationRun(genuine, "Made by hand. ", 1.0))
    assert target(text, "Genuine pass").endswith("50.0% (2/4) — **NOT MET**")
    assert target(text, "Genuine rejected").endswith(": 25.0% (1/4)")
