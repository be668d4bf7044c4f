"""TAMPERING: a value whose print or paper stands apart from the rest of the card (`ocr.forensics`).

A pasted patch with retyped characters shows as ink far fainter than the card's other values or of
another hue (the forger's printer is not the authority's), or as paper of another colour than the ring
around it. Each value is compared with the card's own other values printed at about its size, so
lighting, paper tint and capture damage that touch the whole card cancel out (small print blurs
fainter than large in a low-resolution copy, and a card that prints its dates smaller would otherwise
look pasted over), and with its nearest values, so shade that falls across one part of a photo does
too. Values under a seal are not judged (the seal's pink halo is not a patch, and its strokes,
masked out of the value's ink, leave the print fainter). The thresholds sit beyond what genuine
cards showed in every capture condition, because a false TAMPERING on a genuine card costs an
inspector's trust; the bench reports how many pasted patches that lets through.
"""

from __future__ import annotations

from math import dist, hypot
from statistics import median

from ocr.forensics import FieldTraces
from ocr.types import Box
from verification.findings import Finding, finding
from verification.reading import CardReading, CheckContext

FAINT_INK = 0.75
"""A value whose ink contrast is at most this share of the other values' median is suspect."""
INK_HUE = 7.0
"""A value whose ink differs in hue (CIELAB a*b* distance) by this much from the other values' is suspect."""
HUE_SPREAD = 5.0
"""…and by this many times the others' own median distance from their centre (coloured light
spreads a photo's hues). With these two, the most apart of 804 dev genuine cards' values (all
captures, capture damage and two phone-only seeds) reaches 0.76 of the bound; at 6 and 4 it reached
0.95, and the bench raised two false alarms on phones."""
PAPER_SHIFT = 6.0
"""A value whose paper differs from its ring by this many ΔE more than the other values' do is suspect."""
MIN_PEERS = 3
"""Fewer other measured values than this give no baseline to compare with."""
NEAR_TIE = 1.25
"""Peers at most this many times the nearest one's distance count as nearest too."""
SAME_SIZE = 0.2
"""Values whose text boxes' heights differ by at most this share of the lower are printed at about one size."""


ODDITIES = {
    "ink_contrast_ratio": "ink is fainter than the other values'",
    "ink_hue_distance": "ink is of another hue than the other values'",
    "paper_shift_excess": "paper differs from the card around it",
}
"""What each measurement in a finding's evidence says about the value, for its message."""


def overlaps(box: Box, other: Box) -> bool:
    return (box.x < other.x + other.w and other.x < box.x + box.w
            and box.y < other.y + other.h and other.y < box.y + box.h)


def distance(box: Box, other: Box) -> float:
    """Between the boxes' centres, in pixels."""
    return hypot(box.x + box.w / 2 - other.x - other.w / 2, box.y + box.h / 2 - other.y - other.h / 2)


def same_size(box: Box, other: Box) -> bool:
    return max(box.h, other.h) / max(min(box.h, other.h), 1) - 1 <= SAME_SIZE


def nearest(box: Box, peers: list[FieldTraces]) -> list[FieldTraces]:
    """The peers closest to `box`: the nearest one and any as near (within NEAR_TIE), such as the
    values above and below in an evenly spaced column."""
    distances = [distance(box, p.box) for p in peers]
    closest = min(distances)
    return [p for p, d in zip(peers, distances, strict=True) if d <= closest * NEAR_TIE]


def oddities(traces: FieldTraces, peers: list[FieldTraces], under_seal: set[Box]) -> dict[str, float]:
    """The measurements in which `traces` stands apart both from the median of `peers` and from each
    of its nearest peers: light and shade change smoothly across a photo and touch neighbours alike,
    a pasted patch is one value's own. A value under a seal (`under_seal`: the boxes a seal
    overlaps) is not judged: the seal's tint mixes into its paper and ink, and its strokes, masked
    out of the ink, leave the print fainter (a dev phone photo's small validity dates under the seal
    read at 0.73 of the others' contrast). Sealed values' contrast still counts among the peers'."""
    found: dict[str, float] = {}
    if traces.box in under_seal:
        return found
    inked = [p for p in peers if p.ink_contrast is not None]
    if traces.ink_contrast is not None and len(inked) >= MIN_PEERS:
        ratio = traces.ink_contrast / max(median(p.ink_contrast for p in inked), 1e-6)
        local = max(traces.ink_contrast / max(p.ink_contrast, 1e-6) for p in nearest(traces.box, inked))
        if max(ratio, local) <= FAINT_INK:
            found["ink_contrast_ratio"] = round(ratio, 2)
    coloured = [p for p in peers if p.ink_colour is not None and p.box not in under_seal]
    if traces.ink_colour is not None and len(coloured) >= MIN_PEERS:
        centre = (median(p.ink_colour[0] for p in coloured), median(p.ink_colour[1] for p in coloured))
        apart = dist(traces.ink_colour, centre)
        local = min(dist(traces.ink_colour, p.ink_colour) for p in nearest(traces.box, coloured))
        spread = median(dist(p.ink_colour, centre) for p in coloured)
        if min(apart, local) >= max(INK_HUE, HUE_SPREAD * spread):
            found["ink_hue_distance"] = round(apart, 1)
    papered = [p for p in peers if p.paper_shift is not None]
    if traces.paper_shift is not None and len(papered) >= MIN_PEERS:
        excess = traces.paper_shift - median(p.paper_shift for p in papered)
        local = min(traces.paper_shift - p.paper_shift for p in nearest(traces.box, papered))
        if min(excess, local) >= PAPER_SHIFT:
            found["paper_shift_excess"] = round(excess, 2)
    return found


def check_tampering(reading: CardReading, context: CheckContext) -> list[Finding]:
    seals = reading.layout.seals if reading.layout else ()
    under_seal = {t.box for t in reading.traces if any(overlaps(t.box, seal) for seal in seals)}
    findings = []
    for traces in reading.traces:  # one per printed value (ocr.forensics.field_traces)
        peers = [p for p in reading.traces if p.box != traces.box and same_size(p.box, traces.box)]
        odd = oddities(traces, peers, under_seal)
        if odd:
            findings.append(finding(
                "TAMPERING", f"The {traces.field} looks pasted over: its "
                + " and ".join(ODDITIES[k] for k in odd) + ".",
                field=traces.field, box=traces.box.as_list(), **odd,
            ))
    return findings
