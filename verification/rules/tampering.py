"""TAMPERING: a value whose print or paper stands apart from the rest of the card (`ocr.forensics`).

A pasted patch with retyped characters shows as ink fainter than the card's other values, ink of another
hue (the forger's printer is not the authority's), paper of another colour than the ring around it, text
off the line its label is printed on, or a number whose digits stand taller than every date's, or are
broader or narrower, heavier or lighter, for their height than every date's (retyped in another size or
face). Each value is compared with the card's own other values, so lighting, paper tint and capture
damage that touch the whole card cancel out, and with its nearest values, so shade that falls across one
part of a photo does too.

A paste seldom stands far apart in one measurement: the forger matches the paper and the ink roughly. It
stands a little apart in several at once, where a genuine value that departs in one (a long category
printed small and faint, a JPEG's ringing around its print) is alike in the others. So each departure is
counted in units of how far genuine values depart (UNITS) and a value is flagged when its units add up
to SUSPECT_SCORE. The ink and paper units are about the 99th percentile of each departure over 432 dev
genuine cards (three seeds of scans, phone photos and low-resolution copies, and one set saved again as
JPEG at quality 25); the row unit is smaller (the 84th percentile over 755 dev genuine cards) because it
grows with the card's own scatter (ROW_SPREAD). The digit-height unit (6% taller) lies above the most a
genuine code stood taller than its nearest date over 900 other dev genuine cards (scan, phone, low
resolution, and 72 cards again after JPEG q25, blur, shadow and dimming: 4.4%); with it 94 of 120 dev
pastes were caught where 84 were without, and no more genuine cards were flagged. The digit-proportion
unit (12%, as a log ratio) is about the 99th percentile of how far a genuine code's digits stood apart
in proportion from the most alike date's, over 540 dev genuine cards in scan, phone and low resolution
(0.09 to 0.10 per set, the most 0.12; 0.17 on a phone photo dimmed to 70%): a long value shrunk
to fit, or printed large, keeps its face's proportion, another face's digits are broader or narrower
(a monospaced face's by a fifth beside a proportional sans). With it 103 of the 120 dev pastes were
caught where 94 were without, and no more of 972 dev genuine cards (those 540 and 72 under each of
six capture damages) were flagged. The digit-weight unit (25%) lies at the most a genuine code's
digits' strokes stood apart from the most alike date's over the 540 (0.22; the 99th percentile over
all 972, 0.18; the most, 0.27, on a blurred phone photo): with it 107 pastes were caught, and no more
genuine cards flagged. The score sits above the highest any of those 755 cards reached, capture damage
included (3.39: a long category on a scan with a shadow falling across it, its paper shifted). A single
departure of SUSPECT_SCORE units is flagged alone: ink contrast at 42% of the others', hue 9.4 ΔE apart,
text 0.18 text heights off its label's line on a card whose rows are true, a code's digits 24% taller
than the nearest date's, or 54% broader (35% narrower) for their height than the most alike date's, or
with strokes 2.5 times as heavy (0.4 times as light).

Values under a seal are judged by their JPEG traces only (the seal's pink halo is not a patch, and its
strokes, masked out of the value's ink, leave the print fainter), nor does a sealed value's hue count
among the peers'. Its digits do: the forensics read them through the seal (`ocr.forensics.print_gray`).
"""

from __future__ import annotations

from math import dist, exp, hypot, log
from statistics import median

from ocr.forensics import CODE_FIELDS, FieldTraces
from ocr.types import Box
from verification.findings import Finding, finding
from verification.reading import CardReading, CheckContext

UNITS = {"ink_contrast_ratio": 0.16, "ink_hue_distance": 2.6, "paper_shift_excess": 1.7, "row_offset_residual": 0.05,
         "digit_height_ratio": 0.06, "digit_proportion_ratio": 0.12, "digit_weight_ratio": 0.25,
         "twice_compressed_share": 0.3}
"""One unit of each departure: ink contrast 0.16 below the others' (as a share of theirs), ink hue
2.6 ΔE (CIELAB a*b*) from theirs, paper 1.7 ΔE further from its ring than theirs, the value 0.05 text
heights further off the line its label is on than the others sit on theirs (their median), a code's
digits 6% taller (as a log ratio, 0.06) than the nearest in height of the card's other dates and codes,
a code's digits 12% broader or narrower for their height (0.12 as a log ratio) than the most alike of
the others', their strokes 25% heavier or lighter for their height (0.25 as a log ratio), and in a
JPEG compressed twice, 0.3 less of the value's DCT integers showing the first compression (beyond
chance) than the others' median. On dev genuine cards saved again at quality 70–95, a value lacked up
to 0.28 on scans and low-resolution copies (91 of 288 found compressed twice) and up to 0.54 on phone
photos (a name); of 95 retyped scans and low-resolution copies found compressed twice, the retyped
value lacked 0.3 or more on 74 (up to 0.9). So the unit adds to a retyped value's other departures
more often than it flags one alone: the 540 genuine cards saved again raised TAMPERING on 2, as many
as before they were saved again."""
SUSPECT_SCORE = 3.6
"""A value whose departures add up to this many units is flagged."""
HUE_SPREAD = 2.0
"""The hue unit grows to this many times the others' own median distance from their centre:
coloured light spreads a photo's hues, and one value must stand apart by more than that."""
MIN_PEERS = 3
"""Fewer other measured values than this give no baseline for ink contrast or paper."""
MIN_HUE_PEERS = 2
"""…and for hue, whose peers exclude the values under a seal."""
MIN_FACE_PEERS = 2
"""…and for the digits' proportion and weight: a card may print only two dates, and both must stand apart."""
MIN_TWICE_SHOWN = 0.3
"""…and for the JPEG traces, whose peers must show the first compression (their median share) at
least this much for one value to lack it: a picture whose first step was found on little evidence
leaves every value near 0, or below."""
NEAR_TIE = 1.25
"""Peers at most this many times the nearest one's distance count as nearest too."""
TALLER = 1.2
"""Ink contrast is compared only with values whose text is at most this many times as tall: small
print blurs fainter than large in a low-resolution copy, so larger print is no baseline for faintness
(a card that prints its dates small would look pasted over), while smaller print is a fair one."""
ROW_SPREAD = 2.5
"""The row-offset unit grows to this many times the others' median residual: a curled card or a
lens's distortion bends its rows, and one value must sit off its line by more than the others do."""

ODDITIES = {
    "ink_contrast_ratio": "ink is fainter than the other values'",
    "ink_hue_distance": "ink is of another hue than the other values'",
    "paper_shift_excess": "paper differs from the card around it",
    "row_offset_residual": "text sits off the line its label is printed on",
    "digit_height_ratio": "digits are printed taller than every other date's and number's",
    "digit_proportion_ratio": "digits are broader or narrower for their height than every other date's and number's",
    "digit_weight_ratio": "digits' strokes are heavier or lighter than every other date's and number's",
    "twice_compressed_share": "print lacks the JPEG traces the rest of the photo carries: typed in after it was taken",
}
"""What each departure in a finding's evidence says about the value, for its message."""


SEAL_PROOF = {"twice_compressed_share"}
"""The departures a value under a seal is judged by: the seal was in the picture's first file as much
as the print beside it, but its ink changes the value's own print and paper."""


def overlaps(box: Box, other: Box) -> bool:
    return (box.x < other.x + other.w and other.x < box.x + box.w
            and box.y < other.y + other.h and other.y < box.y + box.h)


def distance(box: Box, other: Box) -> float:
    """Between the boxes' centres, in pixels."""
    return hypot(box.x + box.w / 2 - other.x - other.w / 2, box.y + box.h / 2 - other.y - other.h / 2)


def text_height(box: Box) -> int:
    """The box's short side: a line photographed upright or turned a quarter."""
    return min(box.w, box.h)


def nearest(box: Box, peers: list[FieldTraces]) -> list[FieldTraces]:
    """The peers closest to `box`: the nearest one and any as near (within NEAR_TIE), such as the
    values above and below in an evenly spaced column."""
    distances = [distance(box, p.box) for p in peers]
    closest = min(distances)
    return [p for p, d in zip(peers, distances, strict=True) if d <= closest * NEAR_TIE]


def row_departure(traces: FieldTraces, peers: list[FieldTraces]) -> tuple[float, float] | None:
    """(text heights, units) a value sits off the line its label is on, beyond the peers' median: the
    unit grown to ROW_SPREAD times the peers' own median distance from their median."""
    placed = [p.row_offset for p in peers if p.row_offset is not None]
    if traces.row_offset is None or len(placed) < MIN_PEERS:
        return None
    centre = median(placed)
    residual = abs(traces.row_offset - centre)
    spread = median(abs(p - centre) for p in placed)
    return round(residual, 2), residual / max(UNITS["row_offset_residual"], ROW_SPREAD * spread)


def departures(traces: FieldTraces, peers: list[FieldTraces], under_seal: set[Box]) -> dict[str, tuple[float, float]]:
    """Each measurement in which `traces` departs from `peers`, as (what the evidence shows, units).
    A departure counts as far as the value stands apart both from the peers' median and from its
    nearest peers: light and shade change smoothly across a photo and touch neighbours alike, a
    pasted patch is one value's own."""
    found: dict[str, tuple[float, float]] = {}
    height = text_height(traces.box)
    inked = [p for p in peers if p.ink_contrast is not None and text_height(p.box) <= height * TALLER]
    if traces.ink_contrast is not None and len(inked) >= MIN_PEERS:
        ratio = traces.ink_contrast / max(median(p.ink_contrast for p in inked), 1e-6)
        local = max(traces.ink_contrast / max(p.ink_contrast, 1e-6) for p in nearest(traces.box, inked))
        fainter = 1 - max(ratio, local)
        if fainter > 0:
            found["ink_contrast_ratio"] = (round(ratio, 2), fainter / UNITS["ink_contrast_ratio"])
    coloured = [p for p in peers if p.ink_colour is not None and p.box not in under_seal]
    if traces.ink_colour is not None and len(coloured) >= MIN_HUE_PEERS:
        centre = (median(p.ink_colour[0] for p in coloured), median(p.ink_colour[1] for p in coloured))
        apart = dist(traces.ink_colour, centre)
        local = min(dist(traces.ink_colour, p.ink_colour) for p in nearest(traces.box, coloured))
        spread = median(dist(p.ink_colour, centre) for p in coloured)
        unit = max(UNITS["ink_hue_distance"], HUE_SPREAD * spread)
        if min(apart, local) > 0:
            found["ink_hue_distance"] = (round(apart, 1), min(apart, local) / unit)
    papered = [p for p in peers if p.paper_shift is not None]
    if traces.paper_shift is not None and len(papered) >= MIN_PEERS:
        excess = traces.paper_shift - median(p.paper_shift for p in papered)
        local = min(traces.paper_shift - p.paper_shift for p in nearest(traces.box, papered))
        if min(excess, local) > 0:
            found["paper_shift_excess"] = (round(excess, 2), min(excess, local) / UNITS["paper_shift_excess"])
    row = row_departure(traces, peers)
    if row is not None and row[1] > 0:
        found["row_offset_residual"] = row
    taller = height_departure(traces, peers)
    if taller is not None and taller[1] > 0:
        found["digit_height_ratio"] = taller
    for unit in FACE_FIGURES:
        unlike = face_departure(traces, peers, unit)
        if unlike is not None and unlike[1] > 0:
            found[unit] = unlike
    shown = [p.twice_compressed for p in peers if p.twice_compressed is not None]
    if traces.twice_compressed is not None and len(shown) >= MIN_PEERS and median(shown) >= MIN_TWICE_SHOWN:
        lacking = median(shown) - traces.twice_compressed
        if lacking > 0:
            units = lacking / UNITS["twice_compressed_share"]
            found["twice_compressed_share"] = (round(traces.twice_compressed, 2), units)
    return found


def height_departure(traces: FieldTraces, peers: list[FieldTraces]) -> tuple[float, float] | None:
    """(ratio, units) by which a code's digits (`CODE_FIELDS`) stand taller than the nearest in height
    of the peers' digits: a layout prints a long value smaller to fit it, never larger, so a code
    printed shorter than the card's dates is no sign, one printed taller than all of them is."""
    measured = [p.digit_height for p in peers if p.digit_height is not None]
    if traces.field not in CODE_FIELDS or traces.digit_height is None or len(measured) < MIN_PEERS:
        return None
    excess = min(log(traces.digit_height / height) for height in measured)
    return round(exp(excess), 2), excess / UNITS["digit_height_ratio"]


FACE_FIGURES = {"digit_proportion_ratio": "digit_width", "digit_weight_ratio": "digit_stroke"}
"""What a face keeps at any size, as a share of its digits' height, by the departure it gives: a long
value shrunk to fit, or printed large, keeps its digits' proportion (width) and weight (stroke);
another face's digits are broader or narrower, heavier or lighter."""


def face_departure(traces: FieldTraces, peers: list[FieldTraces], unit: str) -> tuple[float, float] | None:
    """(ratio, units) by which a code's digits (`CODE_FIELDS`) stand apart in one of a face's figures
    (`FACE_FIGURES[unit]`, for their height) from the most alike of the peers' digits, either way."""
    def figure(value: FieldTraces) -> float | None:
        measured = getattr(value, FACE_FIGURES[unit])
        return None if measured is None or value.digit_height is None else measured / value.digit_height

    own = figure(traces)
    others = [f for f in map(figure, peers) if f is not None]
    if traces.field not in CODE_FIELDS or own is None or len(others) < MIN_FACE_PEERS:
        return None
    closest = min((log(own / other) for other in others), key=abs)
    return round(exp(closest), 2), abs(closest) / UNITS[unit]


def check_tampering(reading: CardReading, context: CheckContext) -> list[Finding]:
    seals = reading.layout.seals if reading.layout else ()
    under_seal = {t.box for t in reading.traces if any(overlaps(t.box, seal) for seal in seals)}
    findings = []
    for traces in reading.traces:  # one per printed value (ocr.forensics.field_traces)
        peers = [p for p in reading.traces if p.box != traces.box]
        apart = departures(traces, peers, under_seal)
        if traces.box in under_seal:
            apart = {k: v for k, v in apart.items() if k in SEAL_PROOF}
        score = sum(units for _, units in apart.values())
        if score >= SUSPECT_SCORE:
            # the message names what weighs a unit or more, or else the heaviest departure
            named = [k for k, (_, units) in sorted(apart.items(), key=lambda kv: -kv[1][1]) if units >= 1]
            named = named or [max(apart, key=lambda k: apart[k][1])]
            findings.append(finding(
                "TAMPERING", f"The {traces.field} looks pasted over: its "
                + " and ".join(ODDITIES[k] for k in named) + ".",
                field=traces.field, box=traces.box.as_list(), score=round(score, 1),
                **{k: shown for k, (shown, _) in apart.items()},
            ))
    return findings
