"""The reading bench's engines all serve `ocr.second_look.read_card`: each reads lines and strips."""

from __future__ import annotations

import shutil

import pytest

from bench.run import ENGINE_NAMES, WHOLE, build_engine


@pytest.mark.parametrize("name", ENGINE_NAMES)
def test_every_bench_engine_reads_lines_and_strips(name):
    if name in ("tesseract", WHOLE) and shutil.which("tesseract") is None:
        pytest.skip("tesseract is not installed")
    engine = build_engine(name)
    assert callable(engine.read) and callable(engine.read_strips)


def test_the_whole_image_baseline_takes_no_second_look():
    if shutil.which("tesseract") is None:
        pytest.skip("tesseract is not installed")
    assert build_engine(WHOLE).read_strips(None, [((0, 0), (9, 0), (9, 9), (0, 9))] * 2) == [[], []]
