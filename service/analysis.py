"""One image through the named stages: load → OCR lines → fields (with a second look beside labels
read without a value) → layout → value forensics (print, paper, and the file's JPEG traces) → QR →
rules → verdict.

Pure (no Flask, no database): the web page, the API, the CLI and batch jobs all reach it through
`service.pipeline`, which stores what comes out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from ocr.compression import compression_map
from ocr.engines import get_engine
from ocr.forensics import field_traces
from ocr.layout import observe_layout
from ocr.load import load_image
from ocr.qr import decode_qr
from ocr.second_look import read_card
from ocr.types import LoadedImage
from verification.facts import Facts
from verification.kinds import Kind
from verification.reading import CardReading, CheckContext
from verification.verify import contract, verify


@dataclass
class Analysis:
    loaded: LoadedImage
    result: dict[str, Any]


def analyse(data: bytes, source: str, *, kinds: dict[str, Kind], facts: Facts, as_of: date) -> Analysis:
    """Read and verify one image; raises `ocr.load.ImageRejected` for input that is not a usable image."""
    loaded = load_image(data)
    lines, fields = read_card(get_engine(), loaded.image, [kind.document_spec for kind in kinds.values()])
    kind = kinds.get(fields.scheme) if fields.scheme else None
    layout = observe_layout(loaded.image, lines, kind.document_spec) if kind else None
    compression = compression_map(data) if layout else None
    traces = tuple(field_traces(loaded.image, fields.fields, lines, layout.seals, compression)) if layout else ()
    reading = CardReading(fields=fields, qr=decode_qr(loaded.image), layout=layout, traces=traces)
    context = CheckContext(kind=kind, facts=facts, as_of=as_of)
    return Analysis(loaded, contract(source, reading, context, verify(reading, context)))
