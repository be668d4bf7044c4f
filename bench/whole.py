"""The naive reference: one plain Tesseract pass over the whole, unprocessed image.

`pytesseract.image_to_data(image, lang="chi_sim+eng")` with Tesseract's defaults (automatic page
segmentation, default engine mode), no scaling, grey conversion, deskew, seal dropout or picture
blanking. Words are grouped into Tesseract's own lines (block, paragraph, line), left to right, and
joined with the same CJK-aware spacing the production Tesseract engine uses (Tesseract reports one
"word" per Chinese character), so only the reading differs, not the string assembly. The lines
then go to the same `read_fields` (through `read_card`, with no second look).
"""

from __future__ import annotations

from collections.abc import Sequence

import pytesseract
from PIL import Image

from ocr.engines.tesseract import to_text_line, words_from_data
from ocr.types import Quad, StripText, TextLine

LANG = "chi_sim+eng"


class WholeImageTesseract:
    name = "tesseract-whole"

    def read(self, image: Image.Image) -> list[TextLine]:
        data = pytesseract.image_to_data(image, lang=LANG, output_type=pytesseract.Output.DICT)
        lines: dict[tuple[int, int, int], list] = {}
        for word in words_from_data(data):
            lines.setdefault(word.line_key, []).append(word)
        groups = sorted((sorted(words, key=lambda w: w.box.x) for words in lines.values()),
                        key=lambda words: (words[0].box.y, words[0].box.x))
        return [to_text_line(words, lambda box: box) for words in groups]

    def read_strips(self, image: Image.Image, strips: Sequence[Quad]) -> list[list[StripText]]:
        """The baseline takes no second look: Tesseract's defaults, as a user would run them."""
        return [[] for _ in strips]
