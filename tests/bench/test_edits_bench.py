"""bench/edits.py: the saved-again and retyped copies of a generated set, and the section from
hand-made outcomes."""

from __future__ import annotations

import json

from bench.edits import EditsRun, edited_sets, section
from bench.verification import Outcome, Raised
from samples.generate import generate_set


def test_each_image_is_saved_again_and_retyped_with_its_truth_and_register(tmp_path):
    source = tmp_path / "genuine"
    generate_set(source, count=2, seed=7, captures=("lowres",), variants=("genuine",))
    sets = edited_sets(source, tmp_path, seed=7)
    entries = json.loads((source / "manifest.json").read_text(encoding="utf-8"))["images"]
    for copy in (sets.again, sets.retyped):
        assert (copy / "register.csv").read_bytes() == (source / "register.csv").read_bytes()
        for entry in entries:
            assert (copy / entry["image"]).read_bytes() != (source / entry["image"]).read_bytes()
            assert f"{copy.name}/{entry['image']}" in sets.twice
    for entry in entries:
        again = json.loads((sets.again / entry["truth"]).read_text(encoding="utf-8"))
        retyped = json.loads((sets.retyped / entry["truth"]).read_text(encoding="utf-8"))
        assert again["variant"] == "genuine" and again["expected_codes"] == []
        assert retyped["variant"] == "TAMPERING" and retyped["expected_codes"] == ["TAMPERING"]
        assert sets.fields[f"retyped/{entry['image']}"] in ("number", "valid_until")


def outcome(image: str, variant: str, verdict: str, *raised: Raised) -> Outcome:
    return Outcome(image, variant, "phone", (), verdict, raised, 0.5, {})


def test_the_section_counts_traces_false_alarms_and_catches_on_the_retyped_value():
    on_number = Raised("TAMPERING", "warning", ("number",))
    run = EditsRun(
        again=[outcome("saved-again/1.jpg", "genuine", "pass"),
               outcome("saved-again/2.jpg", "genuine", "suspect", Raised("TAMPERING", "warning", ("name",)))],
        retyped=[outcome("retyped/1.jpg", "TAMPERING", "suspect", on_number),
                 outcome("retyped/2.jpg", "TAMPERING", "suspect", Raised("TAMPERING", "warning", ("name",)))],
        fields={"retyped/1.jpg": "number", "retyped/2.jpg": "number"},
        twice={"saved-again/1.jpg": True, "saved-again/2.jpg": True, "retyped/1.jpg": True, "retyped/2.jpg": False},
    )
    text = section(run, 2, 9)
    phone = next(line for line in text.splitlines() if line.startswith("| phone |"))
    assert phone == ("| phone | 100.0% (2/2) | 50.0% (1/2) | 50.0% (1/2) | 50.0% (1/2) | 50.0% (1/2) "
                     "| 100.0% (1/1) | 100.0% (2/2) |")
    assert "| saved-again/2.jpg | – | suspect |" in text
    assert "retyped/2.jpg" not in text  # missed, but it showed no two compressions to go by
