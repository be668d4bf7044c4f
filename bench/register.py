"""python -m bench.register [--rows 0,1000,1000000] [--repeats 300]

Does a big register slow a check? One genuine committed sample, as read (no OCR), is verified against
an imported register of 0, 1,000 and 1,000,000 rows in a temporary SQLite database migrated like the
service's, timing the register look-up alone and the whole verification of the card.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ocr.types import Box, FieldReading, QrPayload, QrReading, ReadFields
from service.db import make_engine, upgrade
from service.registry import SqlRegister
from verification.facts import Facts
from verification.kinds import Kind, load_kinds
from verification.reading import CardReading, CheckContext
from verification.verify import verify

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "samples" / "committed" / "007_special_operation_genuine_scan.json"
DEFAULT_ROWS = (0, 1_000, 1_000_000)
DEFAULT_REPEATS = 300
WARM_UP = 20
MEASURABLE_MS = 5.0  # what a check may gain from a big register: under 1% of one OCR reading
INSERT_BATCH = 50_000
STATEMENT = ("INSERT INTO register_entries (scheme, number, name, id_number, category, item, first_issued, "
             "valid_until, authority, status, source_file, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")


def sample_card(kinds: dict[str, Kind]) -> tuple[CardReading, CheckContext, dict]:
    """The committed sample as a confident reading, with the context of its own check date."""
    truth = json.loads(SAMPLE.read_text(encoding="utf-8"))
    fields = {name: FieldReading(value, value, 0.95, Box(10, 10 * i, 100, 20))
              for i, (name, value) in enumerate(truth["fields"].items()) if value is not None}
    qr = QrReading([QrPayload(truth["qr_payload"], Box(500, 300, 120, 120), "bench")], True)
    reading = CardReading(ReadFields(truth["scheme"], 0.9, fields), qr)
    context = CheckContext(kinds[truth["scheme"]], Facts(), date.fromisoformat(truth["as_of"]))
    return reading, context, truth


def filler_rows(count: int, schemes: list[str]) -> Iterator[tuple]:
    """`count` register rows with distinct made-up numbers (none equals a real sample's), across schemes."""
    for i in range(count):
        id_number = f"99{i:015d}X"  # province code 99 does not exist, so no real person's number
        yield (schemes[i % len(schemes)], ("T" if i % 3 == 0 else "") + id_number, "某某", id_number, None, None,
               "2022-03-01", "2028-02-29", None, "valid", "bench", "2026-01-01 00:00:00")


def sample_row(truth: dict) -> tuple:
    f = truth["fields"]
    return (truth["scheme"], f["number"], f["name"], f["id_number"], f["category"], f["item"], f["first_issued"],
            f["valid_until"], f["authority"], "valid", "bench", "2026-01-01 00:00:00")


def fill(engine: Engine, rows: Iterator[tuple]) -> None:
    """Bulk insert through the driver: one executemany per batch, journaling off (a throwaway file)."""
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("PRAGMA journal_mode = OFF")
        cursor.execute("PRAGMA synchronous = OFF")
        batch: list[tuple] = []
        for row in rows:
            batch.append(row)
            if len(batch) == INSERT_BATCH:
                cursor.executemany(STATEMENT, batch)
                batch.clear()
        cursor.executemany(STATEMENT, batch)
        raw.commit()
    finally:
        raw.close()


def timed(action: Callable[[], object], repeats: int) -> list[float]:
    """Milliseconds per call, after a few untimed calls that warm the caches."""
    for _ in range(WARM_UP):
        action()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return times


def p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20)[-1]


def measure(rows: int, repeats: int, kinds: dict[str, Kind], workdir: Path) -> dict[str, float]:
    """Median and p95 ms of a look-up and of a whole verification with `rows` filler rows (+ the sample's)."""
    reading, context, truth = sample_card(kinds)
    url = f"sqlite:///{workdir / f'register-{rows}.db'}"
    upgrade(url)
    engine = make_engine(url)
    start = time.perf_counter()
    fill(engine, filler_rows(rows, sorted(kinds)))
    if rows:
        fill(engine, iter([sample_row(truth)]))
    filled = time.perf_counter() - start
    scheme, number = truth["scheme"], truth["fields"]["number"]
    with Session(engine) as session:
        register = SqlRegister(session)
        lookups = timed(lambda: register.find(scheme, number), repeats)

        def check() -> list:
            # A new SqlRegister per card, as the pipeline makes one per check.
            facts = Facts(register=SqlRegister(session))
            findings = verify(reading, CheckContext(context.kind, facts, context.as_of)).findings
            assert findings == [], f"the genuine sample raised {[f.code for f in findings]}"
            return findings

        checks = timed(check, repeats)
    engine.dispose()
    return {"fill_s": filled, "lookup_median": statistics.median(lookups), "lookup_p95": p95(lookups),
            "check_median": statistics.median(checks), "check_p95": p95(checks)}


def register_section(rows: tuple[int, ...] = DEFAULT_ROWS, repeats: int = DEFAULT_REPEATS) -> str:
    """The Markdown section for bench/REPORT.md: look-up and verification times against register size."""
    kinds = load_kinds()
    with tempfile.TemporaryDirectory(prefix="certguard-register-") as tmp:
        results = {}
        for count in rows:
            print(f"register bench: {count:,} rows", file=sys.stderr, flush=True)
            results[count] = measure(count, repeats, kinds, Path(tmp))
    base = results[rows[0]]["check_median"]
    lines = [
        "## Register look-ups",
        "",
        f"`{SAMPLE.relative_to(ROOT)}`'s fields as read (no OCR) verified against an imported register in a "
        "temporary SQLite file migrated like the service's (`register_entries` has a unique index on "
        f"scheme + number). Filler rows have made-up numbers; the sample's own row is added to each non-empty "
        f"register, so its look-up is a hit. {repeats} timed runs after {WARM_UP} untimed ones. *Look-up* is "
        "`SqlRegister.find`; *verification* is every rule over the card with a fresh `SqlRegister`, as the "
        "pipeline makes one per check (an empty register is skipped without a look-up). "
        "`python -m bench.register` reproduces it.",
        "",
        "| register rows | look-up median ms | look-up p95 ms | verification median ms | verification p95 ms "
        f"| verification vs {rows[0]:,} rows | rows inserted in |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for count, r in results.items():
        lines.append(f"| {count:,} | {r['lookup_median']:.3f} | {r['lookup_p95']:.3f} | {r['check_median']:.3f} "
                     f"| {r['check_p95']:.3f} | ×{r['check_median'] / base:.2f} | {r['fill_s']:.1f} s |")
    largest = max(rows)
    added = results[largest]["check_median"] - base
    met = "met" if added <= MEASURABLE_MS else "**not met**"
    lines += ["", f"Target (a big register must not slow a check measurably: at most {MEASURABLE_MS:g} ms added, "
              f"under 1% of the ~0.7 s a reading takes): {met} — {largest:,} rows add {added:.2f} ms (median) "
              f"to a check's verification over {rows[0]:,} rows."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.register", description=__doc__.splitlines()[2])
    parser.add_argument("--rows", default=",".join(map(str, DEFAULT_ROWS)),
                        help="comma-separated register sizes, the first is the baseline (default %(default)s)")
    parser.add_argument("--repeats", type=int, default=DEFAULT_REPEATS,
                        help="timed runs per size (default %(default)s)")
    args = parser.parse_args(argv)
    print(register_section(tuple(int(n) for n in args.rows.split(",")), args.repeats))
    return 0


if __name__ == "__main__":
    sys.exit(main())
