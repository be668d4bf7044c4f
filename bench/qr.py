"""python -m bench.qr [ROOT] [--out FILE]: decode_qr against zxing-cpp alone on ZXing's QR black-box photos.

ROOT (default ../shared/benchmarks/qr-blackbox beside the repository) holds folders qrcode-1…6 of
real photos and scans, each image `N.png|jpg|gif` with its expected text in `N.txt`. A decode counts
only when a payload, encoded as UTF-8, equals the `.txt` read as raw bytes: ZXing's own test suite
reads the files as UTF-8, and reading them as bytes keeps their CR LF line ends, which text mode
would translate. `N.metadata.txt` is ZXing's metadata, not expected text.

Both readers run in the same process on the same images, so their timings compare; `qr_section`
returns the Markdown that `make bench` puts in bench/REPORT.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import cv2
import numpy as np
import zxingcpp
from PIL import Image

from ocr.qr import QR_FORMATS, decode_qr

DEFAULT_ROOT = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "qr-blackbox"
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif")
OURS, ZXING = "decode_qr", "zxing-cpp alone"
SHOWN_CHARS, CONTEXT_CHARS = 60, 12


@dataclass(frozen=True)
class Sample:
    folder: str
    image: Path
    expected: bytes


@dataclass(frozen=True)
class Outcome:
    """What one reader returned for one sample, and how long it took."""

    sample: Sample
    payloads: tuple[str, ...]
    decoders: tuple[str, ...]
    seen: bool
    ms: float

    @property
    def verdict(self) -> str:
        """decoded: a payload is the expected text; wrong: payloads, none of them it; missed: none."""
        if any(text.encode("utf-8") == self.sample.expected for text in self.payloads):
            return "decoded"
        return "wrong" if self.payloads else "missed"

    @property
    def extra(self) -> tuple[str, ...]:
        """Payloads besides the expected one, when it was read: other symbols in the same photo."""
        if self.verdict != "decoded":
            return ()
        return tuple(text for text in self.payloads if text.encode("utf-8") != self.sample.expected)


def samples(root: Path) -> list[Sample]:
    """Every image with an expected-text file, folder by folder, in name order."""
    found = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        for truth in sorted(folder.glob("*.txt")):
            if truth.name.endswith(".metadata.txt"):
                continue
            images = [truth.with_suffix(suffix) for suffix in IMAGE_SUFFIXES if truth.with_suffix(suffix).exists()]
            if images:
                found.append(Sample(folder.name, images[0], truth.read_bytes()))
    return found


def ours(image: Image.Image) -> tuple[list[str], list[str], bool]:
    reading = decode_qr(image)
    return [p.text for p in reading.payloads], [p.decoder for p in reading.payloads], reading.symbol_seen


def zxing_alone(image: Image.Image) -> tuple[list[str], list[str], bool]:
    """zxing-cpp with its defaults, QR and Micro QR, bytes as plain text: the reference to beat."""
    gray = np.asarray(image.convert("L"))
    barcodes = zxingcpp.read_barcodes(gray, formats=QR_FORMATS, text_mode=zxingcpp.TextMode.Plain,
                                      return_errors=True)
    texts = [b.text for b in barcodes if b.valid and b.text]
    return texts, ["zxing-cpp"] * len(texts), bool(barcodes)


Reader = Callable[[Image.Image], tuple[list[str], list[str], bool]]


def run(reader: Reader, found: Sequence[Sample]) -> list[Outcome]:
    outcomes = []
    for sample in found:
        with Image.open(sample.image) as opened:
            image = opened.convert("RGB")
        start = time.perf_counter()
        texts, decoders, seen = reader(image)
        outcomes.append(Outcome(sample, tuple(texts), tuple(decoders), seen, (time.perf_counter() - start) * 1000))
    return outcomes


def counts(outcomes: Sequence[Outcome]) -> list[str]:
    verdicts = Counter(o.verdict for o in outcomes)
    ms = sum(o.ms for o in outcomes) / len(outcomes) if outcomes else 0.0
    return [str(verdicts["decoded"]), str(verdicts["wrong"]), str(verdicts["missed"]), f"{ms:.1f}"]


def table(runs: dict[str, list[Outcome]]) -> list[str]:
    folders = sorted({o.sample.folder for o in runs[OURS]})
    lines = ["| Folder | Images | Decoded | Wrong | Missed | ms/image "
             f"| {ZXING}: decoded | wrong | missed | ms/image |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for folder in [*folders, None]:
        rows = {name: [o for o in outcomes if folder is None or o.sample.folder == folder]
                for name, outcomes in runs.items()}
        label = folder or "**Total**"
        lines.append("| " + " | ".join([label, str(len(rows[OURS])), *counts(rows[OURS]), *counts(rows[ZXING])]) + " |")
    return lines


def shown(data: bytes | str) -> str:
    text = data.decode("utf-8", errors="backslashreplace") if isinstance(data, bytes) else data
    text = repr(text)[1:-1]
    return (text[:SHOWN_CHARS] + "…" if len(text) > SHOWN_CHARS else text).replace("|", "\\|").replace("`", "'")


def difference(expected: bytes, read: str) -> str:
    """Where two texts part: the differing middle of each, with a few characters of context."""
    want = expected.decode("utf-8", errors="backslashreplace")
    prefix = len(os.path.commonprefix([want, read]))
    suffix = len(os.path.commonprefix([want[prefix:][::-1], read[prefix:][::-1]]))
    start = max(0, prefix - CONTEXT_CHARS)
    want_part, read_part = (text[start:len(text) - suffix + CONTEXT_CHARS] for text in (want, read))
    return f"`{shown(want_part)}` → `{shown(read_part)}`"


def name(outcome: Outcome) -> str:
    return f"{outcome.sample.folder}/{outcome.sample.image.name}"


def details(runs: dict[str, list[Outcome]]) -> list[str]:
    mine, reference = runs[OURS], {name(o): o for o in runs[ZXING]}
    lines = ["", "Which step of `decode_qr` returned the payloads: " + ", ".join(
        f"{decoder} {count}" for decoder, count in Counter(o.decoders[0] for o in mine if o.payloads).most_common())
             + "."]
    gained = [o for o in mine if o.verdict == "decoded" and reference[name(o)].verdict != "decoded"]
    if gained:
        lines += ["", f"Decoded by `decode_qr` but not by {ZXING}: "
                  + ", ".join(f"{name(o)} ({o.decoders[0]})" for o in gained) + "."]
    lost = [name(o) for o in mine if o.verdict != "decoded" and reference[name(o)].verdict == "decoded"]
    if lost:
        lines += ["", f"Decoded by {ZXING} but not by `decode_qr`: " + ", ".join(lost) + "."]
    wrong = [o for o in mine if o.verdict == "wrong"]
    if wrong:
        lines += ["", "Wrong payloads (returned, but not the `.txt`):", "",
                  "| Image | Decoder | Expected → read (where they differ) |", "|---|---|---|"]
        lines += [f"| {name(o)} | {o.decoders[0]} | {difference(o.sample.expected, o.payloads[0])} |" for o in wrong]
    missed = [o for o in mine if o.verdict == "missed"]
    if missed:
        lines += ["", "Missed by `decode_qr`:", "", "| Image | Pixels | Symbol located | Expected text |",
                  "|---|---|---|---|"]
        for o in missed:
            with Image.open(o.sample.image) as image:
                size = f"{image.width}×{image.height}"
            lines.append(f"| {name(o)} | {size} | {'yes' if o.seen else 'no'} | `{shown(o.sample.expected)}` |")
    extra = [o for o in mine if o.extra]
    if extra:
        lines += ["", "Images where another symbol was read besides the expected one: "
                  + ", ".join(f"{name(o)} (`{shown(o.extra[0])}`)" for o in extra) + "."]
    return lines


def qr_section(root: Path) -> str:
    """The Markdown section: per-folder table for decode_qr and zxing-cpp alone, then the failures."""
    found = samples(root)
    if not found:
        raise FileNotFoundError(f"no QR black-box samples (N.txt beside N.png) under {root}")
    runs = {OURS: run(ours, found), ZXING: run(zxing_alone, found)}
    lines = [
        "## QR decoding: ZXing's black-box photos", "",
        f"{len(found)} photos and scans from ZXing's black-box test suite (`{root.name}/`, folders "
        f"{', '.join(sorted({s.folder for s in found}))}). A decode counts only when a payload, encoded as UTF-8, "
        "equals the `.txt` read as raw bytes; *wrong* = payloads returned, none of them the expected text; "
        f"*missed* = nothing returned. `decode_qr` and {ZXING} (zxing-cpp {metadata.version('zxing-cpp')}, "
        f"`TextMode.Plain`, QR and Micro QR) ran in the same process on the same images; OpenCV {cv2.__version__}. "
        "ms/image is wall time per image with the image already decoded to pixels.", "",
        *table(runs),
        *details(runs),
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.qr", description=__doc__.splitlines()[0])
    parser.add_argument("root", nargs="?", type=Path, default=DEFAULT_ROOT, help="default %(default)s")
    parser.add_argument("--out", type=Path, help="also write the section to this file")
    args = parser.parse_args(argv)
    try:
        text = qr_section(args.root)
    except FileNotFoundError as exc:
        print(f"python -m bench.qr: {exc}", file=sys.stderr)
        return 2
    print(text, end="")
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
