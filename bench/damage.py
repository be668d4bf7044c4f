"""python -m bench.damage [--count N] [--seed S] [--out FILE]

Does a genuine card still pass under capture damage the sample generator never makes? Genuine scans
and phone photos, from a seed of their own, are damaged five ways — heavy JPEG compression, blur, a
shadow across the card, warm light and a dim, flat exposure — and every version is checked as the
verification section checks cards (`bench.verification.check_sets`). The rules were developed on
the generator's own captures; certguard is judged on another renderer's cards and captures, and this
is a first look at how far its verdicts carry.
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageEnhance, ImageFilter

from bench.verification import Outcome, check_sets, findings_text, genuine_pass, rate, ratio
from samples.generate import generate_set
from verification.kinds import load_kinds

DEFAULT_SEED = 20261130  # never used while developing
DEFAULT_COUNT = 36  # 6 of each kind × capture (scan, phone)
CAPTURES = ("scan", "phone")  # a low-resolution copy is damage already
Damage = Callable[[Image.Image], Image.Image]


def jpeg(image: Image.Image, quality: int = 25) -> Image.Image:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def shadow(image: Image.Image) -> Image.Image:
    """Light falling off across the card, to 55% at one side (a hand or a phone in the way)."""
    pixels = np.asarray(image).astype(np.float32)
    ramp = np.linspace(0.55, 1.0, pixels.shape[1])[None, :, None]
    return Image.fromarray(np.clip(pixels * ramp, 0, 255).astype(np.uint8))


def warm_light(image: Image.Image) -> Image.Image:
    """A tungsten lamp: red up, blue down."""
    pixels = np.asarray(image).astype(np.float32) * np.array([1.08, 1.0, 0.85])
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def dim(image: Image.Image) -> Image.Image:
    """Poor light: brightness and contrast at 70%."""
    return ImageEnhance.Contrast(ImageEnhance.Brightness(image).enhance(0.7)).enhance(0.7)


DAMAGES: dict[str, tuple[Damage, str]] = {
    "none": (lambda image: image, "the generated capture as it is"),
    "jpeg q25": (jpeg, "saved again as JPEG at quality 25"),
    "blur": (lambda image: image.filter(ImageFilter.GaussianBlur(1.2)), "Gaussian blur, σ 1.2 px (out of focus)"),
    "shadow": (shadow, "light falling to 55% across the card"),
    "warm light": (warm_light, "red ×1.08, blue ×0.85"),
    "dim": (dim, "brightness and contrast at 70%"),
}


def damaged_set(source: Path, out: Path, damage: Damage) -> Path:
    """A copy of the generated set `source` with every image damaged (stored losslessly, as PNG)."""
    manifest = json.loads((source / "manifest.json").read_text(encoding="utf-8"))
    out.mkdir(parents=True)
    for entry in manifest["images"]:
        image = damage(Image.open(source / entry["image"]).convert("RGB"))
        entry["image"] = str(Path(entry["image"]).with_suffix(".png"))
        image.save(out / entry["image"])
        shutil.copy(source / entry["truth"], out / entry["truth"])
    shutil.copy(source / "register.csv", out / "register.csv")
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    return out


def run_damage(count: int = DEFAULT_COUNT, seed: int = DEFAULT_SEED,
               damages: Sequence[str] = tuple(DAMAGES)) -> dict[str, list[Outcome]]:
    """Each damage's outcomes over the same genuine cards."""
    kinds = load_kinds()
    with tempfile.TemporaryDirectory(prefix="certguard-damage-") as tmp:
        source = Path(tmp) / "genuine"
        generate_set(source, count=count, seed=seed, captures=CAPTURES, variants=("genuine",))
        outcomes = {}
        for number, name in enumerate(damages):
            print(f"damage bench: {name}", file=sys.stderr, flush=True)
            damaged = damaged_set(source, Path(tmp) / f"damaged-{number}", DAMAGES[name][0])
            outcomes[name] = check_sets([damaged], kinds)
    return outcomes


def section(outcomes: dict[str, list[Outcome]], count: int, seed: int) -> str:
    lines = [
        "## Capture damage the generator does not make",
        "",
        f"{count} genuine cards from `generate_set(count={count}, seed={seed}, captures={CAPTURES!r})`, each "
        "damaged as below and checked as in the verification section (own register; *rejected* is the worst "
        "outcome: a valid worker turned away). The rules were developed on the generator's own captures "
        "only. `python -m bench.damage` reproduces it.",
        "",
        "| damage | what | genuine passed | rejected | codes raised on the cards that did not pass |",
        "|---|---|---:|---:|---|",
    ]
    for name, results in outcomes.items():
        rejected = ratio(results, lambda o: o.verdict == "reject")
        codes = Counter(code for o in results if not o.passed for code in sorted(o.codes))  # ties in name order
        shown = ", ".join(f"{code} ×{n}" for code, n in codes.most_common()) or "–"
        lines.append(f"| {name} | {DAMAGES[name][1]} | {rate(genuine_pass(results))} | {rate(rejected)} "
                     f"| {shown} |")
    failed = [(name, o) for name, results in outcomes.items() for o in results if not o.passed]
    if failed:
        lines += ["", "| damage | image | verdict | findings |", "|---|---|---|---|"]
        lines += [f"| {name} | {o.image} | {o.verdict} | {findings_text(o)} |" for name, o in failed]
    return "\n".join(lines) + "\n"


def damage_section(count: int = DEFAULT_COUNT, seed: int = DEFAULT_SEED) -> str:
    return section(run_damage(count, seed), count, seed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.damage", description=__doc__.splitlines()[2])
    parser.add_argument("--count", type=int, default=DEFAULT_COUNT, help="genuine cards (default %(default)s)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="generator seed (default %(default)s)")
    parser.add_argument("--out", type=Path, help="also write the section to this file")
    args = parser.parse_args(argv)
    text = damage_section(args.count, args.seed)
    print(text, end="")
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
