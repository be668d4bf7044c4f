"""python -m bench.batches [--images 100] [--pages 500] [--seed 20261201]

Does a batch go faster with more worker processes, and does a long archive keep a worker's memory flat?
The same generated cards (scan, phone and low-resolution captures) are zipped and run as one batch
through `certguard worker --processes 1`, then `--processes 2`, each on a fresh SQLite data directory;
images/s counts the checking phase, from the batch's items being handed out to its last result. A PDF
of `--pages` pages (the cards again, one per page) then runs through two worker processes while the
resident memory of each job process is sampled.
"""

from __future__ import annotations

import argparse
import itertools
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image
from werkzeug.datastructures import FileStorage

from bench.reading import CAPTURES
from samples.generate import generate_set
from service import create_app
from service.auth import create_user
from service.batches import create_batch
from service.db import db_session, get_engine
from service.jobs import enqueue_batch
from service.models import Batch

ROOT = Path(__file__).resolve().parent.parent
CERTGUARD = Path(sys.executable).with_name("certguard")
DEFAULT_IMAGES = 100
DEFAULT_PAGES = 500
DEFAULT_SEED = 20261201  # no test uses it
PDF_DPI = 200  # the archive reader's rendering DPI, so a page comes back at its card's pixel size
POLL_SECONDS = 0.5
TIMEOUT_SECONDS = 3 * 3600
SCALING_TARGET = 1.8  # 2 worker processes against 1, on the same images
FLAT_MEMORY_GROWTH = 0.10  # a job process may grow this much from the early pages to the last
EARLY, LATE = (0.1, 0.2), (0.9, 1.0)  # shares of the pages finished: memory is compared between these stretches


@dataclass
class Run:
    """One batch through one `certguard worker`: counts, phases in seconds, job-process memory samples in MiB."""

    items: int
    done: int
    failed: int
    expanding_s: float
    checking_s: float
    memory: list[tuple[float, float]] = field(default_factory=list)  # (share of items finished, largest RSS)
    peak_mib: float = 0.0  # the largest high-water mark of any job process

    @property
    def images_per_s(self) -> float:
        return self.items / self.checking_s


def make_cards(folder: Path, count: int, seed: int) -> list[Path]:
    return generate_set(folder, count=count, seed=seed, captures=CAPTURES)


def zip_cards(cards: list[Path], target: Path) -> Path:
    with zipfile.ZipFile(target, "w") as archive:
        for card in cards:
            archive.write(card, f"cards/{card.name}")
    return target


def pdf_of_cards(cards: list[Path], pages: int, target: Path) -> Path:
    """A PDF of `pages` pages, the cards in turn, each page the card's size at PDF_DPI."""
    images = [Image.open(card).convert("RGB") for card in cards]
    sequence = list(itertools.islice(itertools.cycle(images), pages))
    sequence[0].save(target, format="PDF", save_all=True, append_images=sequence[1:], resolution=PDF_DPI)
    return target


def worker_env(data_dir: Path) -> dict[str, str]:
    """The caller's environment for a worker on `data_dir`: no other certguard settings, and the code of
    this checkout first on the path, whatever checkout the venv's editable install points at."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("CERTGUARD_")}
    python_path = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return {**env, "CERTGUARD_DATA_DIR": str(data_dir), "PYTHONPATH": python_path}


def job_processes(pid: int) -> list[int]:
    """The consumer's children: its job processes (and its scheduler, which stays small)."""
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def memory_mib(pid: int, key: str) -> float:
    """VmRSS or VmHWM of a process in MiB; 0 when it has gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{key}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def run_batch(upload: Path, processes: int, data_dir: Path) -> Run:
    """Submit `upload` as a batch, run `certguard worker --processes N` until it is finished, then stop it."""
    app = create_app({"CERTGUARD_DATA_DIR": str(data_dir), "CERTGUARD_DATABASE_URL": None, "CERTGUARD_REDIS_URL": None})
    with app.app_context():
        user = create_user("bench", "clerk")
        with upload.open("rb") as stream:
            batch_id = create_batch(FileStorage(stream, filename=upload.name), user=user).id
        enqueue_batch(batch_id)
    with open(data_dir / "worker.log", "wb") as log:
        worker = subprocess.Popen([str(CERTGUARD), "worker", "--processes", str(processes)],
                                  env=worker_env(data_dir), stdout=log, stderr=subprocess.STDOUT,
                                  start_new_session=True)
    memory: list[tuple[float, float]] = []
    peak = 0.0
    deadline = time.monotonic() + TIMEOUT_SECONDS
    try:
        while time.monotonic() < deadline:
            with app.app_context():
                batch = db_session().get(Batch, batch_id)
            children = job_processes(worker.pid)
            peak = max([peak, *(memory_mib(child, "VmHWM") for child in children)])
            if batch.total:
                memory.append(((batch.done + batch.failed) / batch.total,
                               max((memory_mib(child, "VmRSS") for child in children), default=0.0)))
            if batch.finished:
                break
            time.sleep(POLL_SECONDS)
        else:
            raise TimeoutError(f"batch {batch_id} not finished in {TIMEOUT_SECONDS} s; see {data_dir / 'worker.log'}")
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait()
        get_engine(app).dispose()
    if batch.state != "done":
        raise RuntimeError(f"batch {batch_id} {batch.state}: {batch.error_code} {batch.error_message}")
    return Run(batch.total, batch.done, batch.failed, (batch.expanded_at - batch.started_at).total_seconds(),
               (batch.finished_at - batch.expanded_at).total_seconds(), memory, peak)


def rss_over(run: Run, start: float, end: float) -> float:
    """The median of the job processes' largest RSS while `start` to `end` of the items were finishing.

    A median over a stretch, not one sample: at any instant a job process may be holding one page's
    image and the reader's buffers or none, which swings one sample by a tenth either way (two runs of
    one commit measured −4.9 % and +16.6 % from single samples); a leak lifts the whole later stretch.
    """
    window = [rss for finished, rss in run.memory if start <= finished <= end and rss]
    return statistics.median(window) if window else 0.0


def batches_section(images: int = DEFAULT_IMAGES, pages: int = DEFAULT_PAGES, seed: int = DEFAULT_SEED) -> str:
    """The Markdown section for bench/REPORT.md: images/s for 1 and 2 worker processes, memory over a long PDF."""
    with tempfile.TemporaryDirectory(prefix="certguard-batches-") as tmp:
        work = Path(tmp)
        print(f"batches bench: generating {images} cards", file=sys.stderr, flush=True)
        cards = make_cards(work / "cards", images, seed)
        archive = zip_cards(cards, work / "cards.zip")
        runs = {}
        for processes in (1, 2):
            print(f"batches bench: {len(cards)} images, {processes} worker processes", file=sys.stderr, flush=True)
            runs[processes] = run_batch(archive, processes, work / f"data-{processes}")
        print(f"batches bench: a {pages}-page PDF", file=sys.stderr, flush=True)
        long_run = run_batch(pdf_of_cards(cards, pages, work / "cards.pdf"), 2, work / "data-pdf")
    ratio = runs[2].images_per_s / runs[1].images_per_s
    early, late = rss_over(long_run, *EARLY), rss_over(long_run, *LATE)
    growth = late / early - 1 if early else float("inf")
    lines = [
        "## Batches",
        "",
        f"{len(cards)} cards generated from seed {seed} ({', '.join(CAPTURES)} captures), zipped and run as one "
        "batch through `certguard worker --processes N` on a fresh SQLite data directory (each job process "
        "reads with one thread: `OMP_THREAD_LIMIT=1`, one ONNX Runtime and one OpenCV thread). *Checking* runs "
        "from the batch's items being handed out to its last result; *reading the upload* (extraction and "
        "validation of every member, in one job) comes before it. `python -m bench.batches` reproduces it.",
        "",
        "| worker processes | images | failed | reading the upload s | checking s | images/s | vs 1 process |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for processes, run in runs.items():
        lines.append(f"| {processes} | {run.items} | {run.failed} | {run.expanding_s:.1f} | {run.checking_s:.1f} "
                     f"| {run.images_per_s:.2f} | ×{run.images_per_s / runs[1].images_per_s:.2f} |")
    lines += [
        "",
        f"Target (2 worker processes at least {SCALING_TARGET:g}× the throughput of 1 on this machine's "
        f"{os.cpu_count()} cores): {'met' if ratio >= SCALING_TARGET else '**not met**'} — ×{ratio:.2f}.",
        "",
        f"A {long_run.items}-page PDF of the same cards (one per page, rendered at {PDF_DPI} dpi in the archive "
        "reader's child process) through 2 worker processes: "
        f"{long_run.done} pages checked, {long_run.failed} failed, {long_run.expanding_s:.0f} s reading the upload, "
        f"{long_run.checking_s:.0f} s checking ({long_run.images_per_s:.2f} pages/s). Job-process memory: "
        f"{early:.0f} MiB resident (median) while the second tenth of the pages finished, {late:.0f} MiB "
        "during the last tenth, "
        f"{long_run.peak_mib:.0f} MiB peak.",
        "",
        f"Target (flat worker memory: at most {FLAT_MEMORY_GROWTH:.0%} growth from the second tenth of the pages "
        "to the last): "
        f"{'met' if growth <= FLAT_MEMORY_GROWTH else '**not met**'} — {growth:+.1%}.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.batches", description=__doc__.splitlines()[2])
    parser.add_argument("--images", type=int, default=DEFAULT_IMAGES, help="cards in the ZIP (default %(default)s)")
    parser.add_argument("--pages", type=int, default=DEFAULT_PAGES, help="pages of the long PDF (default %(default)s)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="sample generator seed (default %(default)s)")
    args = parser.parse_args(argv)
    print(batches_section(args.images, args.pages, args.seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
