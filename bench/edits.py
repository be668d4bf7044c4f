"""python -m bench.edits [--count N] [--seed S] [--out FILE]

Are photos edited after they were taken caught by their JPEG traces? Genuine cards, from a seed of
their own, are each saved again as JPEG twice over: once as they are (a card forwarded through a chat
app: compressed twice, and genuine) and once with the number or the expiry date covered and typed
again as printed, in a face and ink picked to match (`samples.edits.retyped`: nothing a rule reads
changes, so only the traces can give it away). Both are checked as the verification section checks
cards (`bench.verification.check_sets`).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from bench.verification import Outcome, check_sets, findings_text, rate, ratio
from ocr.compression import compression_map
from ocr.engines import get_engine
from ocr.load import load_image
from ocr.second_look import read_card
from samples.edits import RESAVE_QUALITY, resaved, retyped
from samples.generate import generate_set
from verification.kinds import load_kinds

DEFAULT_SEED = 20261201  # never used while developing
DEFAULT_COUNT = 36  # 4 of each kind × capture
CAPTURES = ("scan", "phone", "lowres")
RETYPED_FIELDS = ("number", "valid_until")


@dataclass
class EditedSets:
    """The two copies of a generated set, and what `edited_sets` knows of each image (set/name)."""

    again: Path
    retyped: Path
    fields: dict[str, str] = field(default_factory=dict)
    """The retyped image → the field retyped in it."""
    twice: dict[str, bool] = field(default_factory=dict)
    """Each image of both copies → whether it showed two compressions (`ocr.compression`)."""


def edited_sets(source: Path, out: Path, seed: int) -> EditedSets:
    """Two copies of the generated set `source`: every image saved again as it is, and every image
    with one value retyped."""
    kinds = load_kinds()
    specs = [kind.document_spec for kind in kinds.values()]
    manifest = json.loads((source / "manifest.json").read_text(encoding="utf-8"))
    sets = EditedSets(out / "saved-again", out / "retyped")
    again, edited = sets.again, sets.retyped
    for directory in (again, edited):
        directory.mkdir(parents=True)
        shutil.copy(source / "register.csv", directory / "register.csv")
        (directory / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    for entry in manifest["images"]:
        rng = random.Random(f"{seed}/{entry['image']}")
        data, truth = (source / entry["image"]).read_bytes(), json.loads((source / entry["truth"]).read_text("utf-8"))
        quality = rng.randint(*RESAVE_QUALITY)
        (again / entry["image"]).write_bytes(resaved(data, quality))
        (again / entry["truth"]).write_text(json.dumps(truth, ensure_ascii=False), encoding="utf-8")
        _, fields = read_card(get_engine(), load_image(data).image, specs)
        located = [name for name in RETYPED_FIELDS if name in fields.fields and fields.fields[name].box
                   and truth["fields"].get(name)]
        if not located:
            raise RuntimeError(f"{entry['image']}: none of {RETYPED_FIELDS} was located to retype")
        name = rng.choice(located)
        (edited / entry["image"]).write_bytes(
            retyped(data, fields.fields[name].box, truth["fields"][name], rng, quality))
        truth.update(variant="TAMPERING", expected_codes=["TAMPERING"])
        (edited / entry["truth"]).write_text(json.dumps(truth, ensure_ascii=False), encoding="utf-8")
        sets.fields[f"{edited.name}/{entry['image']}"] = name
        for directory in (again, edited):
            data = (directory / entry["image"]).read_bytes()
            sets.twice[f"{directory.name}/{entry['image']}"] = compression_map(data) is not None
    return sets


@dataclass
class EditsRun:
    again: list[Outcome]
    retyped: list[Outcome]
    fields: dict[str, str]
    twice: dict[str, bool]


def run_edits(count: int = DEFAULT_COUNT, seed: int = DEFAULT_SEED) -> EditsRun:
    kinds = load_kinds()
    with tempfile.TemporaryDirectory(prefix="certguard-edits-") as tmp:
        source = Path(tmp) / "genuine"
        generate_set(source, count=count, seed=seed, captures=CAPTURES, variants=("genuine",))
        print("edits bench: saving again and retyping", file=sys.stderr, flush=True)
        sets = edited_sets(source, Path(tmp), seed)
        return EditsRun(check_sets([sets.again], kinds), check_sets([sets.retyped], kinds), sets.fields, sets.twice)


def section(run: EditsRun, count: int, seed: int) -> str:
    lines = [
        "## Photos edited after they were taken (double-JPEG traces)",
        "",
        f"{count} genuine cards from `generate_set(count={count}, seed={seed}, captures={CAPTURES!r})`, each saved "
        f"again as JPEG at a quality drawn from {RESAVE_QUALITY[0]}–{RESAVE_QUALITY[1]}: once as it is (*saved again*: "
        "genuine, compressed twice), and once with its number or expiry date, where the reader located it, "
        "covered with its paper and typed again as printed in a face and ink picked to match (*retyped*: "
        "`samples.edits.retyped`; no value a rule reads changes). Checked as in the verification section. "
        "*Compressed twice* = `ocr.compression` found the first compression's traces in the picture; a "
        "second compression coarser than the first leaves none (see its docstring), and there the retyped "
        "value can be seen only by how it is printed. `python -m bench.edits` reproduces it.",
        "",
        "| capture | saved again: compressed twice | saved again: TAMPERING (false alarm) | saved again: passed "
        "| retyped: compressed twice | retyped: TAMPERING on the retyped value | …of those compressed twice "
        "| retyped: caught |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]

    twice = run.twice

    def on_value(o: Outcome) -> bool:
        return any(f.code == "TAMPERING" and run.fields[o.image] in f.fields for f in o.findings)

    for capture in (*CAPTURES, "all"):
        pick_a = [o for o in run.again if capture in ("all", o.capture)]
        pick_e = [o for o in run.retyped if capture in ("all", o.capture)]
        shown_twice = [o for o in pick_e if twice[o.image]]
        lines.append(
            f"| {capture} | {rate(ratio(pick_a, lambda o: twice[o.image]))} "
            f"| {rate(ratio(pick_a, lambda o: 'TAMPERING' in o.codes))} | {rate(ratio(pick_a, lambda o: o.passed))} "
            f"| {rate(ratio(pick_e, lambda o: twice[o.image]))} | {rate(ratio(pick_e, on_value))} "
            f"| {rate(ratio(shown_twice, on_value))} | {rate(ratio(pick_e, lambda o: o.caught))} |")
    missed = [o for o in run.retyped if twice[o.image] and not on_value(o)]
    alarms = [o for o in run.again if "TAMPERING" in o.codes]
    if missed or alarms:
        lines += ["", "| image | retyped | verdict | findings |", "|---|---|---|---|"]
        lines += [f"| {o.image} | {run.fields.get(o.image, '–')} | {o.verdict} | {findings_text(o)} |"
                  for o in [*alarms, *missed]]
    return "\n".join(lines) + "\n"


def edits_section(count: int = DEFAULT_COUNT, seed: int = DEFAULT_SEED) -> str:
    return section(run_edits(count, seed), count, seed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.edits", description=__doc__.splitlines()[2])
    parser.add_argument("--count", type=int, default=DEFAULT_COUNT, help="genuine cards (default %(default)s)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="generator seed (default %(default)s)")
    parser.add_argument("--out", type=Path, help="also write the section to this file")
    args = parser.parse_args(argv)
    text = edits_section(args.count, args.seed)
    print(text, end="")
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
