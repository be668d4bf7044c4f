"""python -m bench [--count N] [--seed S] [--engines rapidocr,tesseract,tesseract-whole] [--out bench/REPORT.md]

Generates a fresh genuine set from a seed no test uses into a temporary directory, reads it and the
committed samples with each engine, decodes ZXing's QR black-box photos, times register look-ups
against register size, verifies generated genuine and forged cards through the whole check,
genuine ones under capture damage the generator does not make, and photos saved again and edited
after they were taken (double-JPEG traces), runs one batch through 1 and then 2
worker processes, times the report forms' export over 100,000 checks, and writes the report.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

# Tesseract's OpenMP threads: one per process (as the production engine does), set before any
# subprocess inherits the environment. Forced, so the figures do not depend on the caller's shell.
os.environ["OMP_THREAD_LIMIT"] = "1"

from bench.batches import batches_section  # noqa: E402
from bench.damage import damage_section  # noqa: E402
from bench.edits import edits_section  # noqa: E402
from bench.qr import DEFAULT_ROOT as QR_ROOT  # noqa: E402
from bench.qr import qr_section  # noqa: E402
from bench.reading import CAPTURES  # noqa: E402
from bench.register import register_section  # noqa: E402
from bench.report import SetRuns, render  # noqa: E402
from bench.reports import reports_section  # noqa: E402
from bench.run import ENGINE_NAMES, run_engine, sample_images  # noqa: E402
from bench.verification import DEFAULT_FORGED, DEFAULT_GENUINE, verification_section  # noqa: E402
from ocr.engines import DEFAULT_ENGINE  # noqa: E402
from ocr.engines.rapid import DEFAULT_THREADS, THREADS_ENV  # noqa: E402
from samples.generate import generate_set  # noqa: E402
from verification.kinds import load_kinds  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_COUNT = 153  # 17 of each kind × capture
DEFAULT_SEED = 20261124
COMMITTED = ROOT / "samples" / "committed"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[2])
    parser.add_argument("--count", type=int, default=DEFAULT_COUNT, help="generated images (default %(default)s)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="generator seed (default %(default)s)")
    parser.add_argument("--engines", default=",".join(ENGINE_NAMES),
                        help="comma-separated, from: " + ", ".join(ENGINE_NAMES))
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "REPORT.md")
    parser.add_argument("--no-committed", action="store_true", help="skip samples/committed")
    parser.add_argument("--qr-root", type=Path, default=QR_ROOT,
                        help="ZXing's QR black-box photos for the QR section (default %(default)s)")
    parser.add_argument("--no-qr", action="store_true", help="skip the QR decoding section")
    parser.add_argument("--no-register", action="store_true", help="skip the register size section")
    parser.add_argument("--no-verification", action="store_true", help="skip the verification section")
    parser.add_argument("--verification-genuine", type=int, default=DEFAULT_GENUINE,
                        help="genuine images the verification section checks (default %(default)s)")
    parser.add_argument("--no-damage", action="store_true",
                        help="skip the section on capture damage the generator does not make")
    parser.add_argument("--no-edits", action="store_true",
                        help="skip the section on photos edited after they were taken")
    parser.add_argument("--no-batches", action="store_true",
                        help="skip the batch throughput section (1 and 2 worker processes, a 500-page PDF)")
    parser.add_argument("--no-reports", action="store_true",
                        help="skip the report forms section (export over 10,000 and 100,000 checks)")
    parser.add_argument("--verification-forged", type=int, default=DEFAULT_FORGED,
                        help="images of each forged variant it checks (default %(default)s)")
    args = parser.parse_args(argv)
    args.engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = [e for e in args.engines if e not in ENGINE_NAMES]
    if unknown or not args.engines:
        parser.error(f"unknown engines {unknown}; choose from {', '.join(ENGINE_NAMES)}")
    return args


def command_line(args: argparse.Namespace) -> str:
    resolved = args.out.resolve()
    out = str(resolved.relative_to(ROOT)) if resolved.is_relative_to(ROOT) else str(resolved)
    line = (f".venv/bin/python -m bench --count {args.count} --seed {args.seed} "
            f"--engines {','.join(args.engines)} --out {out}")
    if args.no_verification:
        line += " --no-verification"
    elif (args.verification_genuine, args.verification_forged) != (DEFAULT_GENUINE, DEFAULT_FORGED):
        line += f" --verification-genuine {args.verification_genuine} --verification-forged {args.verification_forged}"
    return line + (" --no-committed" if args.no_committed else "") + (" --no-qr" if args.no_qr else "") \
        + (" --no-register" if args.no_register else "") + (" --no-damage" if args.no_damage else "") \
        + (" --no-edits" if args.no_edits else "") + (" --no-batches" if args.no_batches else "") \
        + (" --no-reports" if args.no_reports else "")


def git(*argv: str) -> str:
    try:
        return subprocess.run(["git", *argv], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def load_average() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def machine_facts(started: datetime, elapsed: float, generation: float, load_before: str) -> dict[str, str]:
    dirty = git("status", "--porcelain", "--untracked-files=no")
    tesseract = subprocess.run(["tesseract", "--version"], capture_output=True, text=True).stdout.splitlines()
    return {
        "CPU": f"{cpu_model()}, nproc {len(os.sched_getaffinity(0))}",
        "date": started.strftime("%Y-%m-%d %H:%M UTC"),
        "git commit": git("rev-parse", "HEAD") + (" (working tree had uncommitted changes)" if dirty else ""),
        "software": f"Python {platform.python_version()}, {tesseract[0] if tesseract else 'tesseract ?'}, "
                    f"rapidocr_onnxruntime {version('rapidocr_onnxruntime')}, onnxruntime {version('onnxruntime')}",
        "threads": f"RapidOCR ONNX Runtime intra-op threads {os.environ.get(THREADS_ENV) or DEFAULT_THREADS} "
                   f"({THREADS_ENV}); OMP_THREAD_LIMIT=1 for Tesseract",
        "load average (1/5/15 min)": f"{load_before} before the run, {load_average()} after (other work on the "
                                     "machine slows the timings)",
        "bench wall time": f"{elapsed / 60:.1f} min in all, of which generating the set {generation:.0f} s",
    }


def set_digest(images: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in images:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def dump_scores(path: Path, *sets: SetRuns | None) -> None:
    """Every image's outcome per engine, for looking at failures (bench/out is not committed)."""
    data = {s.title: {run.engine: [asdict(score) for score in run.scores] for run in s.runs} for s in sets if s}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started, clock, load_before = datetime.now(UTC), time.perf_counter(), load_average()
    kinds = load_kinds()
    specs = [kind.document_spec for kind in kinds.values()]
    kind_fields = {kind_id: tuple(kind.data["fields"]) for kind_id, kind in kinds.items()}

    with tempfile.TemporaryDirectory(prefix="certguard-bench-") as tmp:
        print(f"generating {args.count} images, seed {args.seed}", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        generated_images = generate_set(Path(tmp) / "set", count=args.count, seed=args.seed,
                                        captures=CAPTURES, variants=("genuine",))
        generation = time.perf_counter() - t0
        generated = SetRuns(
            "Generated set",
            f"{len(generated_images)} genuine images from `samples.generate.generate_set(count={args.count}, "
            f"seed={args.seed})`, all kinds ({', '.join(sorted(kinds))}) × captures {'/'.join(CAPTURES)}, made in a "
            f"temporary directory at bench time (content sha256 {set_digest(generated_images)}…)",
            [run_engine(e, generated_images, specs, kind_fields, "generated") for e in args.engines])

    committed = None
    if not args.no_committed:
        committed_images = sample_images(COMMITTED)
        committed = SetRuns(
            "Committed samples",
            f"the {len(committed_images)} images of `samples/committed/` (genuine and forged variants, one "
            "document of no known kind; seed 1)",
            [run_engine(e, committed_images, specs, kind_fields, "committed") for e in args.engines])

    qr = None
    if not args.no_qr:
        print(f"QR decoding over {args.qr_root}", file=sys.stderr, flush=True)
        try:
            qr = qr_section(args.qr_root)
        except FileNotFoundError as exc:
            qr = f"## QR decoding\n\nNot run: {exc}.\n"

    register = None
    if not args.no_register:
        print("register look-ups against register size", file=sys.stderr, flush=True)
        register = register_section()

    verification = None
    if not args.no_verification:
        print("verification of generated genuine and forged cards", file=sys.stderr, flush=True)
        verification = verification_section(args.verification_genuine, args.verification_forged,
                                            dump=ROOT / "bench" / "out" / "verification.json")

    damage = None
    if not args.no_damage:
        print("genuine cards under capture damage the generator does not make", file=sys.stderr, flush=True)
        damage = damage_section()

    edits = None
    if not args.no_edits:
        print("photos saved again and edited after they were taken", file=sys.stderr, flush=True)
        edits = edits_section()

    batches = None
    if not args.no_batches:
        print("batch throughput with 1 and 2 worker processes", file=sys.stderr, flush=True)
        batches = batches_section()

    reports = None
    if not args.no_reports:
        print("report forms over 100,000 checks", file=sys.stderr, flush=True)
        reports = reports_section()

    facts = machine_facts(started, time.perf_counter() - clock, generation, load_before)
    text = render(generated=generated, committed=committed, default=DEFAULT_ENGINE, machine=facts,
                  command=command_line(args))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    extra = (qr, register, verification, damage, edits, batches, reports)
    sections = [text, *(section for section in extra if section)]
    args.out.write_text("\n".join(sections), encoding="utf-8")
    dump_scores(ROOT / "bench" / "out" / "scores.json", generated, committed)
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
