"""Running engines over a set of samples and timing them."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.reading import ImageScore, load_truth, score_image
from ocr.engines import ENGINES, OcrEngine, OcrError, get_engine
from ocr.load import load_image
from ocr.second_look import read_card
from ocr.types import DocumentSpec, ReadFields

WHOLE = "tesseract-whole"
ENGINE_NAMES = (*ENGINES, WHOLE)


def build_engine(name: str) -> OcrEngine:
    if name == WHOLE:
        from bench.whole import WholeImageTesseract
        return WholeImageTesseract()
    return get_engine(name)


def sample_images(directory: Path) -> list[Path]:
    """Images with a ground-truth file beside them, in name order."""
    return sorted(p for p in directory.iterdir()
                  if p.suffix in {".jpg", ".png"} and p.with_suffix(".json").exists())


@dataclass
class EngineRun:
    engine: str
    scores: list[ImageScore]
    errors: list[str]


def run_engine(name: str, images: Sequence[Path], specs: Sequence[DocumentSpec],
               kind_fields: Mapping[str, Sequence[str]], label: str,
               log: Callable[[str], None] = lambda m: print(m, file=sys.stderr, flush=True)) -> EngineRun:
    """Read every image with engine `name` and score it. Only `read_card` (engine and field reader) is timed
    (decoding the file is not); one untimed read of the first image warms the engine up first."""
    engine = build_engine(name)
    if images:
        engine.read(load_image(images[0].read_bytes()).image)
    scores, errors = [], []
    for i, path in enumerate(images, 1):
        image = load_image(path.read_bytes())
        start = time.perf_counter()
        try:
            _, read = read_card(engine, image.image, specs)
        except OcrError as exc:
            read = ReadFields(None, 0.0, {})
            errors.append(f"{path.name}: {exc}")
        seconds = time.perf_counter() - start
        scores.append(score_image(load_truth(path), read, seconds, kind_fields))
        if i % 25 == 0 or i == len(images):
            log(f"  {name} on {label}: {i}/{len(images)}")
    return EngineRun(name, scores, errors)
