"""Generate a set of synthetic certificate images with ground truth, a register and a manifest.

    python -m samples.generate --out DIR --count N --seed S [--kinds-dir DIR] [--kinds ID,ID]
        [--captures scan,phone,lowres] [--variants genuine,ALL] [--as-of YYYY-MM-DD]

The set is a pure function of its arguments: the same seed gives byte-identical files. Each image
`NNN_kind_variant_capture.jpg` has its ground truth beside it (`.json`); `register.csv` is the
issuer's register the REGISTRY_* variants are checked against; `manifest.json` lists everything.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import itertools
import json
import random
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from ocr.types import CONTRACT_FIELDS
from samples.capture import CAPTURES, Capture
from samples.render import RenderedCard, render_card, render_design
from samples.values import embedded_id
from samples.variants import FORGERIES, GENUINE, CardPlan, RegisterEntry, plans_for
from verification.kinds import Kind, load_kinds

DEFAULT_AS_OF = date(2026, 7, 1)
ALL = "ALL"
REGISTER_COLUMNS = ("scheme", "number", "name", "id_number", "category", "item", "first_issued", "valid_until",
                    "authority", "status")


@dataclass(frozen=True)
class Job:
    """One variant of one kind in one capture; a job yields one image (two for DUPLICATE_NUMBER)."""

    kind: Kind
    variant: str
    capture: str

    @property
    def images(self) -> int:
        return 2 if self.variant == "DUPLICATE_NUMBER" else 1


@dataclass(frozen=True)
class Sample:
    """A produced image and its ground truth, before it is written."""

    plan: CardPlan
    capture_name: str
    capture: Capture
    card: RenderedCard
    unreadable: tuple[str, ...]


def plan_jobs(kinds: Sequence[Kind], variants: Sequence[str], captures: Sequence[str], count: int) -> list[Job]:
    """Jobs for `count` images, in rounds: every kind genuine in every capture, then each forged variant
    on the next kind that supports it, captures taken in turn. Truncating keeps the spread."""
    jobs: list[Job] = []
    total = 0
    for job in itertools.islice(_rounds(kinds, variants, captures), 2 * count + len(FORGERIES)):
        if total == count:
            break
        if total + job.images <= count:
            jobs.append(job)
            total += job.images
    return jobs


def _rounds(kinds: Sequence[Kind], variants: Sequence[str], captures: Sequence[str]) -> Iterator[Job]:
    forged = [v for v in variants if v != GENUINE]
    turn = 0
    while True:
        if GENUINE in variants:
            for kind in kinds:
                for capture in captures:
                    yield Job(kind, GENUINE, capture)
        for variant in forged:
            able = [k for k in kinds if FORGERIES[variant].applies(k)]
            if not able:
                raise ValueError(f"no kind in the set can carry {variant}")
            # shift the captures by one each time they wrap, so no kind is always shot the same way
            capture = captures[(turn + turn // len(captures)) % len(captures)]
            yield Job(able[turn % len(able)], variant, capture)
            turn += 1


def produce(job: Job, rng: random.Random, as_of: date) -> list[Sample]:
    """Render, retouch and capture the plans of one job."""
    samples = []
    for plan in plans_for(job.variant, job.kind, rng, as_of):
        if plan.design is not None:
            card = render_design(plan.design, rng)
        else:
            card = render_card(plan.kind, plan.values, rng, qr_payload=plan.qr_payload, qr_damaged=plan.qr_damaged,
                               layout=plan.layout)
        unreadable = plan.retouch(card, plan, rng) if plan.retouch else ()
        samples.append(Sample(plan, job.capture, CAPTURES[job.capture](card, rng), card, unreadable))
    return samples


def truth(sample: Sample, as_of: date) -> dict[str, Any]:
    """The ground-truth document for one image (see samples/README.md for the format)."""
    plan, capture = sample.plan, sample.capture
    fields: dict[str, str | None] = dict.fromkeys(CONTRACT_FIELDS)
    if plan.values is not None:
        printed = plan.values.as_truth()
        fields.update({name: printed[name] for name in sample.card.field_boxes})
        if plan.kind.embeds_id_number:
            fields["id_number"] = embedded_id(plan.kind, plan.values.number)
    flat = capture.field_boxes is not None
    return {
        "scheme": plan.kind.id if plan.values is not None else None,
        "fields": fields,
        "qr_payload": None if plan.qr_damaged else plan.qr_payload,
        "capture": sample.capture_name,
        "rotation": capture.rotation,
        "variant": plan.variant,
        "expected_codes": list(plan.expected),
        "as_of": as_of.isoformat(),
        "card_box": list(capture.card_quad),
        "field_boxes": {k: b.as_list() for k, b in capture.field_boxes.items()} if flat else None,
        "render": {
            "title": sample.card.title,
            "layout": sample.card.layout.name,
            "form": sample.card.style.form,
            "qr_symbol": sample.card.qr_box is not None,
            "unreadable_fields": list(sample.unreadable),
        },
    }


def register_row(kind: Kind, entry: RegisterEntry) -> dict[str, str]:
    values = entry.values.as_truth()
    row = {column: values.get(column) or "" for column in REGISTER_COLUMNS}
    row.update(scheme=kind.id, status=entry.status)
    if kind.embeds_id_number:
        row["id_number"] = embedded_id(kind, entry.values.number) or ""
    return row


def generate_set(out_dir: Path | str, *, count: int, seed: int, kinds: Sequence[Kind] | None = None,
                 captures: Sequence[str] = tuple(CAPTURES), variants: Sequence[str] = (GENUINE,),
                 as_of: date = DEFAULT_AS_OF) -> list[Path]:
    """Write `count` images with ground truth, `register.csv` and `manifest.json` into `out_dir` (which must
    be empty or absent); returns the image paths in manifest order."""
    out = Path(out_dir)
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out} is not empty; generate into a new directory")
    out.mkdir(parents=True, exist_ok=True)
    kinds = sorted(kinds if kinds is not None else load_kinds().values(), key=lambda k: k.id)
    variants = expand_variants(variants)
    unknown = set(captures) - set(CAPTURES)
    if unknown:
        raise ValueError(f"unknown captures: {sorted(unknown)}")

    images: list[Path] = []
    entries: list[dict[str, Any]] = []
    register: list[dict[str, str]] = []
    for index, job in enumerate(plan_jobs(kinds, variants, list(captures), count)):
        rng = random.Random(f"certguard-samples/{seed}/{index}")
        for sample in produce(job, rng, as_of):
            stem = f"{len(images) + 1:03d}_{job.kind.id if sample.plan.values else 'other'}_" \
                   f"{sample.plan.variant.lower()}_{sample.capture_name}"
            image = out / f"{stem}.{sample.capture.extension}"
            image.write_bytes(sample.capture.data)
            document = truth(sample, as_of)
            (out / f"{stem}.json").write_text(_dump(document), encoding="utf-8")
            if sample.plan.register is not None:
                register.append(register_row(sample.plan.kind, sample.plan.register))
            images.append(image)
            entries.append({
                "image": image.name, "truth": f"{stem}.json",
                "sha256": hashlib.sha256(sample.capture.data).hexdigest(),
                "scheme": document["scheme"], "variant": document["variant"], "capture": document["capture"],
                "expected_codes": document["expected_codes"],
            })
    _write_register(out / "register.csv", register)
    manifest = {
        "seed": seed, "count": len(images), "as_of": as_of.isoformat(), "kinds": [k.id for k in kinds],
        "captures": list(captures), "variants": list(variants), "register": "register.csv", "images": entries,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return images


def expand_variants(names: Sequence[str]) -> list[str]:
    """Resolve ALL to every forgery code; keep order, drop repeats, reject unknown names."""
    expanded: list[str] = []
    for name in names:
        for variant in (FORGERIES if name == ALL else [name]):
            if variant != GENUINE and variant not in FORGERIES:
                raise ValueError(f"unknown variant {variant!r}; use genuine, ALL or a finding code")
            if variant not in expanded:
                expanded.append(variant)
    return expanded


def _dump(document: dict[str, Any]) -> str:
    """JSON with one line per top-level key, and per field inside `fields` and `field_boxes`."""
    def value(v: Any, nested: bool) -> str:
        if nested and isinstance(v, dict) and v:
            inner = ",\n".join(f"  {json.dumps(k)}: {json.dumps(x, ensure_ascii=False)}" for k, x in v.items())
            return "{\n" + inner + "\n }"
        return json.dumps(v, ensure_ascii=False)

    lines = [f" {json.dumps(k)}: {value(v, k in ('fields', 'field_boxes'))}" for k, v in document.items()]
    return "{\n" + ",\n".join(lines) + "\n}\n"


def _write_register(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, REGISTER_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m samples.generate", description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, type=Path, help="empty or new directory to write the set into")
    parser.add_argument("--count", required=True, type=int, help="number of images")
    parser.add_argument("--seed", required=True, type=int)
    parser.add_argument("--kinds-dir", type=Path, help="extra kind files (as CERTGUARD_KINDS_DIR)")
    parser.add_argument("--kinds", help="comma-separated kind ids (default: every loaded kind)")
    parser.add_argument("--captures", default=",".join(CAPTURES), help="comma-separated: scan,phone,lowres")
    parser.add_argument("--variants", default=GENUINE, help="comma-separated: genuine, ALL, finding codes")
    parser.add_argument("--as-of", type=date.fromisoformat, default=DEFAULT_AS_OF, help="date the set is checked on")
    args = parser.parse_args(argv)
    loaded = load_kinds(args.kinds_dir)
    try:
        kinds = [loaded[k] for k in args.kinds.split(",")] if args.kinds else list(loaded.values())
    except KeyError as exc:
        parser.error(f"unknown kind {exc.args[0]!r}; loaded: {', '.join(sorted(loaded))}")
    try:
        images = generate_set(args.out, count=args.count, seed=args.seed, kinds=kinds,
                              captures=args.captures.split(","), variants=args.variants.split(","), as_of=args.as_of)
    except (ValueError, FileExistsError) as exc:
        parser.error(str(exc))
    print(f"wrote {len(images)} images to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
