"""The CJK fonts cards are printed in, chosen per card so no reader can learn one typeface.

Debian's fonts-noto-cjk, fonts-wqy-zenhei and fonts-arphic-ukai give sans, serif, mono, round-ish
and brush styles. Faces that are not installed are skipped; at least one must be.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from PIL import ImageFont

FONT_ROOT = Path("/usr/share/fonts")


@dataclass(frozen=True)
class Face:
    """One face inside a font collection; `role` says what it suits: body text, titles, or both."""

    name: str
    path: str
    index: int
    roles: frozenset[str]


_NOTO = "opentype/noto/"
FACES = (
    Face("noto-sans", _NOTO + "NotoSansCJK-Regular.ttc", 2, frozenset({"label", "value"})),
    Face("noto-sans-bold", _NOTO + "NotoSansCJK-Bold.ttc", 2, frozenset({"title", "label", "value"})),
    Face("noto-sans-mono", _NOTO + "NotoSansCJK-Regular.ttc", 7, frozenset({"value"})),
    Face("noto-serif", _NOTO + "NotoSerifCJK-Regular.ttc", 2, frozenset({"label", "value"})),
    Face("noto-serif-bold", _NOTO + "NotoSerifCJK-Bold.ttc", 2, frozenset({"title", "label"})),
    Face("wqy-zenhei", "truetype/wqy/wqy-zenhei.ttc", 0, frozenset({"title", "label", "value"})),
    Face("ukai", "truetype/arphic/ukai.ttc", 0, frozenset({"title", "label", "value"})),
)


@cache
def installed_faces() -> tuple[Face, ...]:
    faces = tuple(face for face in FACES if (FONT_ROOT / face.path).is_file())
    if not faces:
        raise RuntimeError(f"no CJK font found under {FONT_ROOT}; install fonts-noto-cjk or fonts-wqy-zenhei")
    return faces


def pick_face(rng: random.Random, role: str, avoid: Face | None = None) -> Face:
    """A face suited to `role` ("title", "label", "value"), other than `avoid` when possible."""
    candidates = [f for f in installed_faces() if role in f.roles and f != avoid]
    return rng.choice(candidates or list(installed_faces()))


@lru_cache(maxsize=256)
def font(face: Face, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_ROOT / face.path), max(6, size), index=face.index)
