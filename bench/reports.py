"""python -m bench.reports [--checks 10000,100000] [--seed 20261210]

How long does exporting the campaign's report forms take over 100,000 checks, and does the exporting process's
memory stay flat as the checks grow? A made-up campaign (16 districts of 10 using units each, ten months of
checks with their finding codes and decisions, a 100-operator ledger per unit, Form B figures entered for
every district and month) is written into a temporary SQLite database migrated like the service's. A fresh
process then fills Form A and Form B for the campaign to date (every check) and renders each as XLSX and as
CSV, timing each export and reading its own peak resident memory (VmHWM) at the end.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import insert

from bench.batches import memory_mib, worker_env
from service import create_app
from service.db import db_session, get_engine, make_engine, upgrade
from service.models import Check, Decision, District, FindingCode, LedgerEntry, ReportFigure, Unit, User
from service.reports.compute import fill_form, resolve_period
from service.reports.export import csv_bytes, xlsx_bytes
from service.reports.forms import FORMS

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CHECKS = (10_000, 100_000)
DEFAULT_SEED = 20261210  # no test uses it
CAMPAIGN_START = date(2026, 1, 1)
MONTHS = 10  # January to October 2026
DISTRICTS = ("东城区", "西城区", "朝阳区", "丰台区", "石景山区", "海淀区", "门头沟区", "房山区", "通州区", "顺义区",
             "昌平区", "大兴区", "怀柔区", "平谷区", "密云区", "延庆区")
UNITS_PER_DISTRICT = 10
OPERATORS_PER_UNIT = 100
POSTS = (("电工", "低压电工作业"), ("焊工", "熔化焊接与热切割作业"), ("架子工", "登高架设作业"),
         ("电工", "叉车司机"), ("厨师", "低压电工作业"))
FLAGS = {"suspect": ("DUPLICATE_NUMBER", "TAMPERING", "REGISTRY_NOT_FOUND", "LAYOUT_MISMATCH"),
         "reject": ("EXPIRED", "QR_MISMATCH", "REGISTRY_MISMATCH")}
CATEGORIES = ("forged", "altered", "lent", "impersonated", "expired", "unlicensed")
CHUNK = 10_000
TARGET_SECONDS = 30.0
FLAT_MEMORY_GROWTH = 0.10  # peak memory of the export process, largest campaign against the smallest


def number_of(serial: int) -> str:
    """A special-operation number of the right form for nobody: province code 99 does not exist."""
    return f"T99{serial:015d}X"


def contract(number: str | None, verdict: str, codes: list[str]) -> dict:
    """A verdict contract of a realistic size; the reports never read it, but it fills the table's pages."""
    return {"source": "card.jpg", "scheme": "special_operation",
            "fields": {"number": number, "name": "张三", "sex": "女", "id_number": None, "category": "电工作业",
                       "item": "低压电工作业", "first_issued": "2022-03-01", "valid_from": "2022-03-01",
                       "valid_until": "2028-02-29", "authority": "北京市应急管理局"},
            "field_confidence": {"number": 0.97, "name": 0.91, "category": 0.93, "item": 0.9},
            "qr": {"payloads": [f"https://cx.mem.gov.cn/special?index=0&certNum={number}"]},
            "findings": [{"code": code, "severity": "warning", "message": f"{code} found on the card.",
                          "evidence": {"field": "number", "box": [120, 80, 300, 40]}} for code in codes],
            "verdict": verdict}


def fill_campaign(url: str, checks: int, seed: int) -> None:
    """Write the made-up campaign (see the module's docstring) into the migrated database at `url`."""
    rng = random.Random(seed)
    engine = make_engine(url)
    first = datetime(CAMPAIGN_START.year, CAMPAIGN_START.month, 1, tzinfo=UTC)
    span = (datetime(2026, MONTHS + 1, 1, tzinfo=UTC) - first).total_seconds()
    numbers = int(checks * 0.8)  # some cards are checked more than once
    with engine.begin() as connection:
        connection.execute(insert(User), [{"id": 1, "username": "bench", "role": "supervisor", "created_at": first}])
        connection.execute(insert(District), [{"id": i + 1, "name": name, "created_at": first}
                                              for i, name in enumerate(DISTRICTS)])
        units = [{"id": d * UNITS_PER_DISTRICT + u + 1, "district_id": d + 1, "name": f"第{u + 1}建筑公司",
                  "created_at": first} for d in range(len(DISTRICTS)) for u in range(UNITS_PER_DISTRICT)]
        connection.execute(insert(Unit), units)
        for start in range(0, checks, CHUNK):
            rows, codes, decisions = [], [], []
            for check_id in range(start + 1, min(start + CHUNK, checks) + 1):
                verdict = rng.choices(("pass", "suspect", "reject"), (85, 10, 5))[0]
                found = [rng.choice(FLAGS[verdict])] if verdict != "pass" else []
                number = number_of(rng.randrange(numbers)) if rng.random() > 0.05 else None
                at = first + timedelta(seconds=rng.uniform(0, span))
                rows.append({"id": check_id, "created_at": at, "user_id": 1, "source": "card.jpg",
                             "original_name": "card.jpg", "sha256": "0" * 64, "storage_key": "0" * 32,
                             "media_type": "image/jpeg", "as_of": at.date(), "state": "done",
                             "scheme": "special_operation", "number": number, "verdict": verdict,
                             "result": contract(number, verdict, found), "unit_id": rng.choice(units)["id"]})
                codes += [{"check_id": check_id, "code": code} for code in found]
                if found and rng.random() < 0.3:
                    category = rng.choice((*CATEGORIES, None))
                    decisions.append({"check_id": check_id, "user_id": 1, "created_at": at + timedelta(days=3),
                                      "decision": "counterfeit" if category else "genuine", "category": category})
            connection.execute(insert(Check), rows)
            if codes:
                connection.execute(insert(FindingCode), codes)
            if decisions:
                connection.execute(insert(Decision), decisions)
        ledger = []
        for unit in units:
            for seq in range(1, OPERATORS_PER_UNIT + 1):
                post, item = rng.choice(POSTS)
                holds = rng.random() > 0.03
                ledger.append({"unit_id": unit["id"], "seq": seq, "name": "李四", "post": post,
                               "scheme": "special_operation" if holds else None,
                               "number": number_of(rng.randrange(numbers)) if holds else None,
                               "item": item if holds else None, "valid_until": date(2028, 2, 29) if holds else None,
                               "imported_at": first})
        connection.execute(insert(LedgerEntry), ledger)
        connection.execute(insert(ReportFigure), [
            {"form": "form-b", "district_id": d + 1, "month": date(2026, month, 1), "field": field,
             "value": Decimal(rng.randrange(20)), "entered_by": 1, "entered_at": first}
            for d in range(len(DISTRICTS)) for month in range(1, MONTHS + 1)
            for field in ("officers", "units_inspected", "orders", "cases")])
    engine.dispose()


def measure_exports(data_dir: Path) -> dict:
    """In this process: every form for the campaign to date, as XLSX and CSV; seconds each, and memory."""
    app = create_app({"CERTGUARD_DATA_DIR": str(data_dir), "CERTGUARD_DATABASE_URL": None,
                      "CERTGUARD_REDIS_URL": None, "CERTGUARD_REPORTING_UNIT": "北京市应急管理局",
                      "CERTGUARD_CAMPAIGN_START": CAMPAIGN_START.isoformat()})
    seconds = {}
    with app.app_context():
        baseline = memory_mib("self", "VmRSS")
        for form in FORMS.values():
            for fmt, render in (("xlsx", xlsx_bytes), ("csv", csv_bytes)):
                start = time.perf_counter()
                body = render(fill_form(db_session(), form, resolve_period(db_session(), "campaign")))
                seconds[f"{form.id}.{fmt}"] = time.perf_counter() - start
                assert body
    get_engine(app).dispose()
    return {"seconds": seconds, "baseline_mib": baseline, "peak_mib": memory_mib("self", "VmHWM")}


def run(checks: int, seed: int, work: Path) -> dict:
    data_dir = work / f"data-{checks}"
    data_dir.mkdir()
    url = f"sqlite:///{data_dir / 'certguard.db'}"
    upgrade(url)
    start = time.perf_counter()
    fill_campaign(url, checks, seed)
    filled = time.perf_counter() - start
    child = subprocess.run([sys.executable, "-m", "bench.reports", "--measure", str(data_dir)], cwd=ROOT,
                           env=worker_env(data_dir), capture_output=True, text=True, check=True)
    return {**json.loads(child.stdout.splitlines()[-1]), "fill_s": filled, "checks": checks}


def reports_section(sizes: tuple[int, ...] = DEFAULT_CHECKS, seed: int = DEFAULT_SEED) -> str:
    """The Markdown section for bench/REPORT.md."""
    with tempfile.TemporaryDirectory(prefix="certguard-reports-") as tmp:
        results = []
        for checks in sizes:
            print(f"reports bench: {checks:,} checks", file=sys.stderr, flush=True)
            results.append(run(checks, seed, Path(tmp)))
    exports = list(results[0]["seconds"])
    lines = [
        "## Report forms",
        "",
        f"A made-up campaign in a temporary SQLite database migrated like the service's: {len(DISTRICTS)} "
        f"districts of {UNITS_PER_DISTRICT} using units, checks spread over {MONTHS} months (85% pass, 10% suspect, "
        "5% reject, each flagged one with a finding code, 30% of those decided), a "
        f"{OPERATORS_PER_UNIT}-operator ledger per unit, Form B figures entered for every district and month "
        f"(seed {seed}). A fresh process fills each form for the campaign to date (every check) and renders it; "
        "*peak memory* is that process's VmHWM after all four exports. `python -m bench.reports` reproduces it.",
        "",
        f"| checks | {' | '.join(f'{name} s' for name in exports)} | peak memory MiB | after start MiB "
        "| data written in |",
        f"|---:|{'---:|' * len(exports)}---:|---:|---:|",
    ]
    for result in results:
        times = " | ".join(f"{result['seconds'][name]:.2f}" for name in exports)
        lines.append(f"| {result['checks']:,} | {times} | {result['peak_mib']:.0f} | {result['baseline_mib']:.0f} "
                     f"| {result['fill_s']:.0f} s |")
    largest, smallest = results[-1], results[0]
    slowest = max(largest["seconds"].values())
    growth = largest["peak_mib"] / smallest["peak_mib"] - 1
    lines += [
        "",
        f"Target (a form exported over {largest['checks']:,} checks in at most {TARGET_SECONDS:g} s): "
        f"{'met' if slowest <= TARGET_SECONDS else '**not met**'} — the slowest export took {slowest:.2f} s.",
        "",
        f"Target (flat memory: the exporting process's peak at most {FLAT_MEMORY_GROWTH:.0%} above its peak with "
        f"{smallest['checks']:,} checks): {'met' if growth <= FLAT_MEMORY_GROWTH else '**not met**'} — "
        f"{growth:+.1%} ({smallest['peak_mib']:.0f} → {largest['peak_mib']:.0f} MiB). The forms are grouped "
        "counts made by the database, one row per district, so nothing in the process grows with the checks.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.reports", description=__doc__.splitlines()[2])
    parser.add_argument("--checks", default=",".join(map(str, DEFAULT_CHECKS)),
                        help="comma-separated campaign sizes, smallest first (default %(default)s)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="data generator seed (default %(default)s)")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # the exporting child process
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure_exports(args.measure)))
    else:
        print(reports_section(tuple(int(n) for n in args.checks.split(",")), args.seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
