"""Stage: where the card's parts are — its title, its labels in reading order, its seals.

The layout rule compares these observations with the templates in the kind's file
(`verification.rules.layout`). Observations come from the reader's own rows (`ocr.fields`), so a
tilted or turned photo is observed in the straightened frame where rows are level.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

from ocr.fields import build_rows, find_labels, label_table, title_similarity
from ocr.seals import seal_outlines
from ocr.types import Box, DocumentSpec, TextLine

SEAL_SEARCH_SIDE = 1000
"""Long side of the copy seals are looked for on: a seal is large, so detail beyond this is wasted."""


@dataclass(frozen=True)
class ObservedLayout:
    """What a card shows of its layout, as the rule needs it."""

    title: str | None
    """The row that best matches one of the kind's titles, as read."""
    title_similarity: float
    title_confidence: float
    title_above_labels: bool | None
    """Whether that row lies above every label row (None: no title row or no labels)."""
    label_order: tuple[str, ...]
    """The field each label found feeds, in reading order (rows top to bottom, left to right)."""
    seals: tuple[Box, ...]
    """Seal outlines in source image pixels."""


def find_seals(image: Image.Image, lines: Sequence[TextLine]) -> tuple[Box, ...]:
    """Seals on a copy at most SEAL_SEARCH_SIDE long, mapped back to `image`'s pixels."""
    scale = min(1.0, SEAL_SEARCH_SIDE / max(image.size))
    small = image.convert("RGB")
    if scale < 1.0:
        small = small.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))),
                             Image.Resampling.BILINEAR)
    heights = sorted(line.height for line in lines)
    line_height = heights[len(heights) // 10] * scale if heights else 0.0
    return tuple(Box(round(b.x / scale), round(b.y / scale), round(b.w / scale), round(b.h / scale))
                 for b in seal_outlines(np.asarray(small), line_height, against_surroundings=True))


def observe_layout(image: Image.Image, lines: Sequence[TextLine], spec: DocumentSpec) -> ObservedLayout:
    """The title row, the labels' order and the seals of a card read as `spec`'s kind."""
    rows = build_rows(lines)
    hits = find_labels(rows, label_table(spec))
    scored = [(max((title_similarity(title, row.text) for title in spec.titles), default=0.0), r)
              for r, row in enumerate(rows)]
    similarity, title_row = max(scored, default=(0.0, None))
    title = confidence = None
    above = None
    if title_row is not None and similarity > 0:
        glyphs = rows[title_row].glyphs
        title = rows[title_row].text
        confidence = sum(g.confidence for g in glyphs) / len(glyphs)
        label_rows = [hit.row for hit in hits if hit.row != title_row]
        above = title_row < min(label_rows) if label_rows else None
    order: list[str] = []
    for hit in sorted(hits, key=lambda h: (h.row, h.start)):
        if hit.fields[0] not in order:
            order.append(hit.fields[0])
    return ObservedLayout(title, round(similarity, 3), round(confidence or 0.0, 3), above, tuple(order),
                          find_seals(image, lines))
