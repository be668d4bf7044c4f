"""`certguard qr`: one JSON line per image with the payloads exactly as decoded; bad files are lines too."""

from __future__ import annotations

import json
from pathlib import Path

import qrcode
from click.testing import CliRunner
from PIL import Image

from service.cli import cli

URL = "https://cx.mem.gov.cn/special?index=0&certNum=T11010519491231002X"


def card(path: Path, *payloads: str) -> Path:
    """A pale card with the given QR symbols side by side."""
    image = Image.new("RGB", (300 + 260 * len(payloads), 400), (236, 244, 238))
    for i, payload in enumerate(payloads):
        image.paste(qrcode.make(payload, box_size=4, border=2).get_image().convert("RGB"), (40 + 260 * i, 60))
    image.save(path)
    return path


def lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines()]


def test_one_line_per_image_in_order_with_exact_payloads(tmp_path):
    note = "证号:T11010519491231002X\r\n第二行"
    images = [card(tmp_path / "one.png", URL), card(tmp_path / "none.png"), card(tmp_path / "note.jpg", note)]
    result = CliRunner().invoke(cli, ["qr", *map(str, images)])
    assert result.exit_code == 0, result.output
    assert lines(result.stdout) == [
        {"source": str(images[0]), "payloads": [URL]},
        {"source": str(images[1]), "payloads": []},
        {"source": str(images[2]), "payloads": [note]},
    ]
    assert "证号" in result.stdout  # UTF-8, not \\u escapes


def test_two_symbols_on_one_card_are_both_listed(tmp_path):
    image = card(tmp_path / "two.png", URL, "https://cnse.samr.gov.cn/info-pub/pub?zjhm=11010519491231002X")
    result = CliRunner().invoke(cli, ["qr", str(image)])
    assert sorted(lines(result.stdout)[0]["payloads"]) == sorted(
        [URL, "https://cnse.samr.gov.cn/info-pub/pub?zjhm=11010519491231002X"])


def test_unusable_files_get_an_error_line_the_rest_are_read_and_the_exit_status_is_1(tmp_path):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 not really a JPEG")
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    good = card(tmp_path / "good.png", URL)
    result = CliRunner().invoke(cli, ["qr", str(broken), str(tmp_path / "missing.png"), str(text), str(good)])
    assert result.exit_code == 1
    output = lines(result.stdout)
    assert [line["source"] for line in output] == [str(broken), str(tmp_path / "missing.png"), str(text), str(good)]
    assert [line.get("error", {}).get("code") for line in output] == ["corrupt", "unreadable", "unsupported_type", None]
    assert output[3]["payloads"] == [URL]
