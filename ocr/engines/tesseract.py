"""Tesseract through pytesseract: word boxes from `image_to_data`, regrouped into text lines.

Tesseract segments Chinese into one "word" per character or small group and reports a space between
each, so words are re-joined here: no space between two CJK characters unless a real gap separates
them, a space between latin/digit tokens. A line is also cut where the gap between words is wide,
so a label column and a value column far to its right, or two label–value pairs side by side, come
out as separate lines with honest boxes.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytesseract
from PIL import Image

from ocr.engines.base import EngineTimeout, EngineUnavailable, OcrError
from ocr.geometry import image_box
from ocr.preprocess import prepare_for_tesseract
from ocr.types import Box, Quad, StripText, TextLine

# Tesseract's OpenMP build starts one thread per core for each page. Workers already run several
# images in parallel, and oversubscribed OpenMP threads spin: on a 2-core machine a card took 1.9 s
# with OMP_THREAD_LIMIT=4 against 0.6 s with 1. So one thread per Tesseract process. Set before the
# first subprocess inherits the environment; an operator's explicit value wins.
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

# Page segmentation 6 (one uniform block) with the LSTM recogniser. Measured on rendered cards in
# three layouts, it read every label and value, where sparse-text mode 11 split letter-spaced
# labels into stray glyphs and automatic mode 3 lost values next to them; the lines it returns
# are then cut at wide gaps here, so merging across columns does no harm.
DEFAULT_CONFIG = "--psm 6 --oem 1"
# chi_sim's model also covers Latin letters and digits; adding eng made Tesseract read some
# Chinese words as Latin garbage and cost ~35 % more time on the same cards.
DEFAULT_LANG = "chi_sim"

# A gap wider than this many line heights ends a line (two columns, or label far from its value).
LINE_BREAK_GAP = 1.6
# A gap wider than this many line heights between two CJK characters is kept as a space, because it
# is a real separation (letter-spaced label, value after label), not Tesseract's per-character split.
CJK_SPACE_GAP = 0.55
# Marks Tesseract invents in blank gaps; they never appear on certificates.
PHANTOMS = frozenset("“”‘’\"'`")
# Punctuation that, stuck to either end of a word, is usually such an invented mark too.
EDGE_MARKS = frozenset(",，、。.:：;；|")


def is_cjk(char: str) -> bool:
    """CJK ideographs, CJK punctuation and full-width forms: scripts written without spaces."""
    code = ord(char)
    return (0x3000 <= code <= 0x303F or 0x3400 <= code <= 0x4DBF or 0x4E00 <= code <= 0x9FFF
            or 0xF900 <= code <= 0xFAFF or 0xFF00 <= code <= 0xFFEF)


@dataclass(frozen=True)
class Word:
    """One word from `image_to_data`, with the line Tesseract put it in."""

    text: str
    confidence: float  # [0, 1]
    box: Box
    line_key: tuple[int, int, int]  # (block_num, par_num, line_num)


def words_from_data(data: dict[str, list[Any]]) -> list[Word]:
    """The recognised words of an `image_to_data` DICT result; layout rows and blanks are dropped."""
    words = []
    for i, text in enumerate(data["text"]):
        confidence = float(data["conf"][i])
        text = str(text).strip()
        if not text or confidence < 0:
            continue
        box = Box(int(data["left"][i]), int(data["top"][i]), int(data["width"][i]), int(data["height"][i]))
        key = (int(data["block_num"][i]), int(data["par_num"][i]), int(data["line_num"][i]))
        words.append(Word(text, min(max(confidence / 100, 0.0), 1.0), box, key))
    return words


def group_lines(words: Iterable[Word]) -> list[list[Word]]:
    """Words grouped by Tesseract's (block, paragraph, line), each group left to right, then cut at wide gaps."""
    by_key: dict[tuple[int, int, int], list[Word]] = {}
    for word in words:
        by_key.setdefault(word.line_key, []).append(word)
    lines = []
    for group in by_key.values():
        lines.extend(split_at_gaps(sorted(group, key=lambda w: w.box.x)))
    return lines


def line_height(words: list[Word]) -> int:
    """The typical character height of a line: the median word height (robust to one tall glyph)."""
    heights = sorted(w.box.h for w in words)
    return max(1, heights[len(heights) // 2])


def gap(left: Word, right: Word) -> int:
    return right.box.x - (left.box.x + left.box.w)


def split_at_gaps(words: list[Word]) -> list[list[Word]]:
    """Cut a left-to-right word list wherever the gap exceeds LINE_BREAK_GAP line heights."""
    if not words:
        return []
    limit = LINE_BREAK_GAP * line_height(words)
    runs = [[words[0]]]
    for previous, word in zip(words, words[1:], strict=False):
        if gap(previous, word) > limit:
            runs.append([word])
        else:
            runs[-1].append(word)
    return runs


def spaced(words: list[Word]) -> list[bool]:
    """Whether a space goes before each word: not between CJK neighbours unless visibly apart,
    always between other tokens."""
    min_space = CJK_SPACE_GAP * line_height(words)
    flags = [False]
    for previous, word in zip(words, words[1:], strict=False):
        tight_cjk = (is_cjk(previous.text[-1]) or is_cjk(word.text[0])) and gap(previous, word) <= min_space
        flags.append(not tight_cjk)
    return flags


def join_words(words: list[Word]) -> str:
    """Words of one line as text (see `spaced`)."""
    return "".join((" " if space else "") + word.text for word, space in zip(words, spaced(words), strict=True))


def char_confidences(words: list[Word]) -> tuple[float, ...]:
    """Each character's confidence in the joined text: its word's; a space takes the next word's.

    In a wide gap between a label and its value Tesseract often invents a quote mark or comma and
    gives the word holding it, or the word right after it, that mark's low confidence ("”北京",
    "，2019-07-25", "” 低压"). Such a score says nothing about the real characters, so they take
    the mean confidence of the line's other words.
    """
    marked = phantom_marked(words)
    clean = [w.confidence for w, bad in zip(words, marked, strict=True) if not bad]
    fallback = sum(clean) / len(clean) if clean else None
    scores: list[float] = []
    for word, space, bad in zip(words, spaced(words), marked, strict=True):
        score = fallback if bad and fallback is not None else word.confidence
        scores.extend([score] * (len(word.text) + space))
    return tuple(scores)


def phantom_marked(words: list[Word]) -> list[bool]:
    """Per word: holds a phantom quote, has punctuation stuck to an end, or follows a lone mark."""
    def is_mark(char: str) -> bool:
        return char in PHANTOMS or char in EDGE_MARKS

    flags = []
    for i, word in enumerate(words):
        text = word.text
        glued = bool(PHANTOMS & set(text)) or (len(text) > 1 and (is_mark(text[0]) or is_mark(text[-1])))
        after_lone_mark = i > 0 and all(is_mark(c) for c in words[i - 1].text)
        flags.append(glued or after_lone_mark)
    return flags


def to_text_line(words: list[Word], to_original: Callable[[Box], Box]) -> TextLine:
    """One line: its box mapped back to the caller's image by `to_original` (undoing preprocessing),
    kept as found in the straightened working image as the layout box, with word confidences per
    character (Tesseract reads Chinese one character per word, so they are character-level)."""
    box = words[0].box
    for word in words[1:]:
        box = box.union(word.box)
    confidence = sum(w.confidence for w in words) / len(words)
    return TextLine(join_words(words), confidence, to_original(box), layout_box=box,
                    char_confidences=char_confidences(words))


class TesseractEngine:
    """Tesseract 5 (LSTM), Simplified Chinese model by default; one subprocess per image."""

    name = "tesseract"

    def __init__(self, lang: str = DEFAULT_LANG, timeout: float = 30, config: str = DEFAULT_CONFIG) -> None:
        self.lang = lang
        self.timeout = timeout
        self.config = config

    def read(self, image: Image.Image) -> list[TextLine]:
        """Lines in `image`'s pixel coordinates, in reading order of the straightened image."""
        prepared = prepare_for_tesseract(image)
        data = self._image_to_data(prepared.image)
        groups = sorted(group_lines(words_from_data(data)), key=lambda words: (words[0].box.y, words[0].box.x))
        return [to_text_line(words, prepared.to_original) for words in groups]

    def read_strips(self, image: Image.Image, strips: Sequence[Quad]) -> list[list[StripText]]:
        """Each strip's bounding box read on its own as an image (Tesseract lines carry no corners, so
        the strips asked of it are upright)."""
        found = []
        for strip in strips:
            box = image_box(np.asarray(strip, dtype=np.float64), image.width, image.height)
            crop = image.crop((box.x, box.y, box.x + box.w, box.y + box.h))
            found.append([StripText(line.text, line.confidence, line.box.x / crop.width,
                                    (line.box.x + line.box.w) / crop.width) for line in self.read(crop)])
        return found

    def _image_to_data(self, image: Image.Image) -> dict[str, list[Any]]:
        """Run Tesseract, turning its failure modes into the engine's typed errors."""
        try:
            return pytesseract.image_to_data(image, lang=self.lang, config=self.config,
                                             output_type=pytesseract.Output.DICT, timeout=self.timeout)
        except pytesseract.TesseractNotFoundError as exc:
            raise EngineUnavailable("The tesseract program is not installed or not on PATH.") from exc
        except pytesseract.TesseractError as exc:
            if "Failed loading language" in str(exc) or "Error opening data file" in str(exc):
                raise EngineUnavailable(f"Tesseract language data missing for {self.lang!r}.") from exc
            raise OcrError(f"Tesseract failed: {exc}") from exc
        except RuntimeError as exc:
            # pytesseract signals its own timeout as a bare RuntimeError after killing the process.
            if "timeout" in str(exc).lower():
                raise EngineTimeout(f"Tesseract took longer than {self.timeout} s.") from exc
            raise
