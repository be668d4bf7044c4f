"""Tesseract engine: regrouping of image_to_data words, typed failures, the engine factory."""

from __future__ import annotations

import os

import pytesseract
import pytest
from PIL import Image

from ocr.engines import EngineTimeout, EngineUnavailable, OcrError, get_engine
from ocr.engines.tesseract import TesseractEngine, group_lines, join_words, to_text_line, words_from_data
from ocr.types import Box


def data(*words: tuple[str, float, int, int, int, int, tuple[int, int, int]]) -> dict[str, list]:
    """An image_to_data DICT from (text, conf, left, top, width, height, (block, par, line)) rows,
    with the layout rows (conf -1, empty text) Tesseract interleaves."""
    columns: dict[str, list] = {k: [] for k in ("text", "conf", "left", "top", "width", "height",
                                                "block_num", "par_num", "line_num")}
    rows = [("", -1, 0, 0, 1000, 640, (1, 0, 0)), *words]
    for text, conf, left, top, width, height, (block, par, line_num) in rows:
        for key, value in zip(columns, (text, conf, left, top, width, height, block, par, line_num), strict=True):
            columns[key].append(value)
    return columns


def test_cjk_characters_split_by_tesseract_are_joined_without_spaces():
    words = words_from_data(data(("签", 96, 100, 10, 28, 30, (1, 1, 1)), ("发", 90, 130, 10, 28, 30, (1, 1, 1)),
                                 ("机关", 93, 160, 10, 58, 30, (1, 1, 1))))
    assert [join_words(line) for line in group_lines(words)] == ["签发机关"]


def test_latin_and_digit_tokens_keep_their_spaces_and_cjk_after_a_real_gap_keeps_one():
    words = words_from_data(data(("No.", 90, 10, 10, 40, 30, (1, 1, 1)), ("12", 90, 58, 10, 24, 30, (1, 1, 1)),
                                 ("至", 90, 86, 10, 28, 30, (1, 1, 1)), ("张", 90, 140, 10, 28, 30, (1, 1, 1))))
    assert [join_words(line) for line in group_lines(words)] == ["No. 12至 张"]


def test_a_wide_gap_splits_a_tesseract_line_into_two_lines():
    words = words_from_data(data(("姓名", 95, 50, 10, 58, 30, (1, 1, 1)), ("张伟", 95, 200, 10, 58, 30, (1, 1, 1))))
    assert [join_words(line) for line in group_lines(words)] == ["姓名", "张伟"]


def test_layout_rows_and_blank_words_are_dropped():
    words = words_from_data(data((" ", 95, 0, 0, 5, 5, (1, 1, 1)), ("男", 88.5, 10, 10, 28, 30, (1, 1, 1))))
    assert [(w.text, w.confidence) for w in words] == [("男", 0.885)]


def test_lines_map_back_through_the_preprocessing_transform_with_averaged_confidence():
    words = words_from_data(data(("电工", 90, 160, 80, 120, 60, (1, 1, 1)), ("作业", 70, 284, 80, 120, 60, (1, 1, 1))))
    line = to_text_line(words, lambda box: Box(box.x // 2, box.y // 2, box.w // 2, box.h // 2))
    assert (line.text, line.box.as_list()) == ("电工作业", [80, 40, 122, 30])
    assert line.confidence == pytest.approx(0.8)


def test_thread_limit_is_set_for_the_subprocess():
    assert os.environ.get("OMP_THREAD_LIMIT")


def test_missing_tesseract_is_a_typed_error(monkeypatch):
    def missing(*args, **kwargs):
        raise pytesseract.TesseractNotFoundError()

    monkeypatch.setattr(pytesseract, "image_to_data", missing)
    with pytest.raises(EngineUnavailable):
        TesseractEngine().read(Image.new("RGB", (50, 50), "white"))


def test_missing_language_data_is_a_typed_error(engine):
    with pytest.raises(EngineUnavailable):
        TesseractEngine(lang="xyz_nonexistent").read(Image.new("RGB", (50, 50), "white"))


def test_a_slow_page_times_out_with_a_typed_error(engine):
    noisy = Image.effect_noise((1600, 1000), 120).convert("RGB")
    with pytest.raises(EngineTimeout) as caught:
        TesseractEngine(timeout=0.05).read(noisy)
    assert isinstance(caught.value, OcrError)


def test_get_engine_builds_one_engine_per_name():
    assert get_engine("tesseract") is get_engine("tesseract")
    assert get_engine("tesseract").name == "tesseract"
    with pytest.raises(ValueError, match="Unknown OCR engine"):
        get_engine("nope")


def test_character_confidences_follow_words_and_ignore_phantom_marks():
    words = words_from_data(data(("签发", 93, 10, 10, 58, 30, (1, 1, 1)), ("机关", 91, 70, 10, 58, 30, (1, 1, 1)),
                                 ("”北京", 29, 160, 10, 70, 30, (1, 1, 1)), ("市", 97, 232, 10, 28, 30, (1, 1, 1))))
    line = to_text_line(words, lambda box: box)
    assert line.text == "签发机关 ”北京市"
    # The word glued to an invented quote mark takes the mean of the line's other words.
    others = (0.93 + 0.91 + 0.97) / 3
    assert line.char_confidences == pytest.approx((0.93, 0.93, 0.91, 0.91, others, others, others, others, 0.97))


def test_a_word_right_after_a_lone_phantom_mark_is_not_judged_by_its_own_score():
    words = words_from_data(data(("准操项目", 92, 10, 10, 116, 30, (1, 1, 1)), ("”", 0, 150, 10, 10, 30, (1, 1, 1)),
                                 ("低压", 0, 180, 10, 58, 30, (1, 1, 1)), ("电工作业", 96, 240, 10, 116, 30, (1, 1, 1))))
    scores = to_text_line(words, lambda box: box).char_confidences
    assert scores[-6:] == pytest.approx((0.94, 0.94, 0.96, 0.96, 0.96, 0.96))


def test_a_strip_is_read_on_its_own_with_its_text_placed_along_it(engine, rendered_cards, card_lines):
    image = rendered_cards["label_value"].image
    found = next(line for line in card_lines["label_value"] if "低压电工作业" in line.text)
    box = found.box
    strip = ((box.x - 10, box.y - 5), (box.x + box.w + 10, box.y - 5), (box.x + box.w + 10, box.y + box.h + 5),
             (box.x - 10, box.y + box.h + 5))
    [texts] = engine.read_strips(image, [strip])
    assert "低压电工作业" in "".join(t.text for t in texts)
    assert all(0 <= t.start < t.end <= 1 for t in texts)
