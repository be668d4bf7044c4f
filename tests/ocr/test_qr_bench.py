"""bench.qr: byte-exact scoring against the .txt files, per-folder counts, both readers in one table."""

from __future__ import annotations

from pathlib import Path

import qrcode
from PIL import Image

from bench import qr as bench


def write(folder: Path, stem: str, payload: str | bytes | None, expected: bytes) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    image = qrcode.make(payload, box_size=4).get_image() if payload is not None else Image.new("L", (200, 200), 255)
    image.convert("RGB").save(folder / f"{stem}.png")
    (folder / f"{stem}.txt").write_bytes(expected)


def rows(markdown: str) -> dict[str, list[str]]:
    cells = [[c.strip() for c in line.strip("|").split("|")] for line in markdown.splitlines()
             if line.startswith("| qrcode") or line.startswith("| **Total**")]
    return {row[0]: row[1:5] + row[6:9] for row in cells if len(row) == 10}


def test_counts_are_byte_exact_per_folder_for_both_readers(tmp_path):
    write(tmp_path / "qrcode-a", "1", "line one\r\nline two", b"line one\r\nline two")
    write(tmp_path / "qrcode-a", "2", "line one\r\nline two", b"line one\nline two")  # newline translated: wrong
    (tmp_path / "qrcode-a" / "2.metadata.txt").write_bytes(b"TRY_HARDER")
    write(tmp_path / "qrcode-b", "1", None, b"nothing to read")
    write(tmp_path / "qrcode-b", "2", "証明書".encode("shift_jis"), "証明書".encode())  # transcoded, compared as UTF-8
    (tmp_path / "qrcode-b" / "9.txt").write_bytes(b"no image beside it")
    table = rows(bench.qr_section(tmp_path))
    # images, decoded, wrong, missed | zxing alone: decoded, wrong, missed
    assert table == {
        "qrcode-a": ["2", "1", "1", "0", "1", "1", "0"],
        "qrcode-b": ["2", "1", "0", "1", "1", "0", "1"],
        "**Total**": ["4", "2", "1", "1", "2", "1", "1"],
    }


def test_failures_are_listed_with_where_the_texts_differ(tmp_path):
    write(tmp_path / "qrcode-a", "1", "aerial photography of it", b"aerial photograph of it")
    write(tmp_path / "qrcode-a", "2", None, b"http://example.com")
    text = bench.qr_section(tmp_path)
    assert "| qrcode-a/1.png | zxing-cpp/grey | `l photograph of it` → `l photography of it` |" in text
    assert "| qrcode-a/2.png | 200×200 | no | `http://example.com` |" in text


def test_difference_shows_only_the_differing_middle_with_context():
    expected = b"The 2005 USGS aerial photograph of the Washington Monument is censored."
    read = "The 2005 USGS aerial photography of the Washington Monument is censored."
    assert bench.difference(expected, read) == "`l photograph of the Wash` → `l photography of the Wash`"


def test_a_missing_benchmark_folder_is_an_error_not_an_empty_table(tmp_path, capsys):
    assert bench.main([str(tmp_path)]) == 2
    assert "no QR black-box samples" in capsys.readouterr().err
