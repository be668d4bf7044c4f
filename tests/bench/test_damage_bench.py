"""bench/damage.py: damaged copies of a generated set, and the section from hand-made outcomes."""

from __future__ import annotations

import json

import numpy as np
from PIL import Image

from bench.damage import DAMAGES, damaged_set, section
from bench.verification import Outcome, Raised
from samples.generate import generate_set


def test_a_damaged_set_keeps_the_truth_and_register_and_changes_every_image(tmp_path):
    source = tmp_path / "genuine"
    generate_set(source, count=2, seed=7, captures=("scan",), variants=("genuine",))
    damaged = damaged_set(source, tmp_path / "dim", DAMAGES["dim"][0])
    before = json.loads((source / "manifest.json").read_text(encoding="utf-8"))["images"]
    after = json.loads((damaged / "manifest.json").read_text(encoding="utf-8"))["images"]
    assert [e["truth"] for e in after] == [e["truth"] for e in before]
    assert (damaged / "register.csv").read_bytes() == (source / "register.csv").read_bytes()
    for old, new in zip(before, after, strict=True):
        original, dimmed = Image.open(source / old["image"]).convert("L"), Image.open(damaged / new["image"])
        assert dimmed.size == original.size and new["image"].endswith(".png")
        assert np.asarray(dimmed.convert("L")).max() < np.asarray(original).max()


def outcome(number: int, verdict: str, *codes: str) -> Outcome:
    return Outcome(f"d/{number}.png", "genuine", "scan", (), verdict,
                   tuple(Raised(code, "warning") for code in codes), 0.5, {})


def test_the_section_counts_passes_and_rejects_per_damage():
    text = section({"none": [outcome(1, "pass"), outcome(2, "pass")],
                    "blur": [outcome(1, "pass"), outcome(2, "reject", "REGISTRY_MISMATCH", "VALIDITY_SPAN")]}, 2, 9)
    summary = text.split("\n\n")[2]  # the first table: one row per damage
    rows = {line.split("|")[1].strip(): line for line in summary.splitlines() if line.startswith("| ")}
    assert "| 100.0% (2/2) | 0.0% (0/2) | – |" in rows["none"]
    assert "| 50.0% (1/2) | 50.0% (1/2) | REGISTRY_MISMATCH ×1, VALIDITY_SPAN ×1 |" in rows["blur"]
    assert "| blur | d/2.png | reject |" in text
