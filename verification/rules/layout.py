"""LAYOUT_MISMATCH: a card that departs from every layout template of its kind (`layouts` in the kind file).

Departures are named one by one (title not on top, labels out of order or missing, no seal), so the
reviewer sees what differs. A card read too poorly to judge its layout gets no finding here: its
unreadable fields already ask for a retake.
"""

from __future__ import annotations

from itertools import combinations

from ocr.layout import ObservedLayout
from verification.findings import Finding, finding
from verification.kinds import LayoutTemplate
from verification.reading import CardReading, CheckContext

MIN_ORDERED_LABELS = 4
"""Fewer labels than this in the template's order say too little about their order."""
CONFIDENT_TITLE = 0.9
"""The title row's mean character confidence above which its spelling is taken as printed."""
SPELLED_TITLE = 0.9
"""Title similarity below which a confidently read title is misspelt (a forger's retyped title)."""


def out_of_order(order: tuple[str, ...], expected: tuple[str, ...]) -> tuple[float, list[tuple[str, str]]]:
    """Share of pairs of the template's fields read in the other order, and those pairs."""
    rank = {name: i for i, name in enumerate(expected)}
    seen = [name for name in order if name in rank]
    pairs = list(combinations(seen, 2))
    swapped = [(a, b) for a, b in pairs if rank[a] > rank[b]]
    return (len(swapped) / len(pairs) if pairs else 0.0), swapped


def departures(observed: ObservedLayout, template: LayoutTemplate) -> list[str]:
    """How the observed card differs from `template`, in words a reviewer reads; empty when it fits."""
    found: list[str] = []
    if template.title == "top" and observed.title_above_labels is False:
        found.append(f"the title ({observed.title}) is not above the fields")
    if observed.title_confidence >= CONFIDENT_TITLE and observed.title_similarity < SPELLED_TITLE:
        found.append(f"the title reads {observed.title!r}, which is not the kind's title")
    if len(observed.label_order) < template.min_labels:
        found.append(f"only {len(observed.label_order)} of the labels were found ({template.min_labels} expected)")
    share, swapped = out_of_order(observed.label_order, template.order)
    if len([n for n in observed.label_order if n in template.order]) >= MIN_ORDERED_LABELS \
            and share > template.max_out_of_order:
        examples = ", ".join(f"{a} before {b}" for a, b in swapped[:3])
        found.append(f"labels out of order ({share:.0%} of pairs, e.g. {examples})")
    if template.seal and not observed.seals:
        found.append("no red seal")
    return found


def check_layout(reading: CardReading, context: CheckContext) -> list[Finding]:
    kind, observed = context.kind, reading.layout
    if kind is None or observed is None or not kind.layouts:
        return []
    judged = [(template, departures(observed, template)) for template in kind.layouts]
    if any(not departed for _, departed in judged):
        return []
    template, departed = min(judged, key=lambda item: len(item[1]))
    return [finding(
        "LAYOUT_MISMATCH", f"The card departs from the {kind.name} layout: " + "; ".join(departed) + ".",
        template=template.name, departures=departed, title=observed.title, label_order=list(observed.label_order),
        seals=[seal.as_list() for seal in observed.seals],
    )]
