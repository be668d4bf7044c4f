"""REPORT.md from engine runs: summary, targets, per-field tables, misreads."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bench.reading import CAPTURES, TRUSTED_CONFIDENCE, ImageScore, Ratio, Tally, tally
from bench.run import WHOLE, EngineRun
from ocr.types import CONTRACT_FIELDS

FIELD_TARGETS = {"scan": 97.0, "phone": 93.0, "lowres": 93.0}
SPEED_TARGET = 4.0
MAX_MISREADS = 40


@dataclass(frozen=True)
class SetRuns:
    """All engines' runs over one sample set."""

    title: str
    description: str
    runs: Sequence[EngineRun]


def pct(ratio: Ratio) -> str:
    return "–" if ratio.percent is None else f"{ratio.percent:.1f}"


def cell(ratio: Ratio | None) -> str:
    if ratio is None or not ratio.total:
        return "–"
    return f"{ratio.percent:.1f} ({ratio.hits}/{ratio.total})"


def by_capture(scores: Sequence[ImageScore]) -> dict[str, Tally]:
    groups = {capture: tally(s for s in scores if s.capture == capture) for capture in CAPTURES}
    groups["all"] = tally(scores)
    return groups


def engine_label(name: str, default: str) -> str:
    if name == default:
        return f"**{name}** (default)"
    if name == WHOLE:
        return f"{name} (reference)"
    return name


def summary_table(runs: Sequence[EngineRun], default: str) -> list[str]:
    out = ["| engine | capture | images | kind correct | all fields exact % | worst field | trusted wrong "
           "| missing | s/image | images/s |",
           "|---|---|---:|---:|---:|---|---:|---:|---:|---:|"]
    for run in runs:
        for capture, t in by_capture(run.scores).items():
            worst = t.worst_field()
            worst_text = f"{worst[0]} {pct(worst[1])}" if worst else "–"
            out.append(
                f"| {engine_label(run.engine, default)} | {capture} | {t.images} | {t.kinds.hits}/{t.kinds.total} "
                f"| {cell(t.all_fields)} | {worst_text} | {t.trusted_wrong} | {t.missing} "
                f"| {t.seconds_per_image:.2f} | {t.images_per_second:.2f} |")
    return out


def field_table(run: EngineRun) -> list[str]:
    groups = by_capture(run.scores)
    out = ["| field | " + " | ".join(groups) + " |", "|---|" + "---:|" * len(groups)]
    names = [n for n in CONTRACT_FIELDS if any(n in t.per_field for t in groups.values())]
    for name in names:
        out.append(f"| {name} | " + " | ".join(cell(t.per_field.get(name)) for t in groups.values()) + " |")
    return out


def target_rows(runs: Sequence[EngineRun], default: str) -> list[str]:
    out = ["| engine | " + " | ".join(f"{c}: every field ≥ {FIELD_TARGETS[c]:.0f} %" for c in CAPTURES) + " |",
           "|---|" + "---|" * len(CAPTURES)]
    for run in runs:
        groups = by_capture(run.scores)
        cells = []
        for capture in CAPTURES:
            t = groups[capture]
            below = sorted(((n, r) for n, r in t.per_field.items() if r.total and r.percent < FIELD_TARGETS[capture]),
                           key=lambda item: item[1].percent)
            if not t.per_field:
                cells.append("not measured")
            elif below:
                cells.append("**not met**: " + ", ".join(f"{n} {pct(r)}" for n, r in below))
            else:
                worst = t.worst_field()
                cells.append(f"met (worst {worst[0]} {pct(worst[1])})")
        out.append(f"| {engine_label(run.engine, default)} | " + " | ".join(cells) + " |")
    return out


def speed_lines(runs: Sequence[EngineRun], default: str) -> list[str]:
    speeds = {run.engine: tally(run.scores).images_per_second for run in runs}
    if default not in speeds or WHOLE not in speeds:
        return [f"- Speed: not measured (needs both `{default}` and `{WHOLE}` in --engines)."]
    lines = []
    for name in speeds:
        if name == WHOLE:
            continue
        ratio = speeds[name] / speeds[WHOLE]
        if name == default:
            verdict = "**met**" if ratio >= SPEED_TARGET else "**not met**"
            lines.append(f"- Speed, default engine `{name}` ≥ {SPEED_TARGET:.0f}× the images/s of `{WHOLE}`: "
                         f"{speeds[name]:.2f} / {speeds[WHOLE]:.2f} images/s = **{ratio:.2f}×** — {verdict}.")
        else:
            lines.append(f"- (For comparison, no target) `{name}`: {speeds[name]:.2f} / {speeds[WHOLE]:.2f} "
                         f"images/s = {ratio:.2f}× the reference.")
    return lines


def misreads(run: EngineRun) -> list[str]:
    rows = [(s, name, o) for s in run.scores for name, o in s.fields.items() if not o.exact]
    out = [f"{len(rows)} wrong counted fields in all; the first {min(len(rows), MAX_MISREADS)} by image name "
           f"(kind read shown when it is not the true kind).", "",
           "| image | field | ground truth | read | confidence |", "|---|---|---|---|---:|"]
    for score, name, outcome in rows[:MAX_MISREADS]:
        image = score.image if score.kind_correct else f"{score.image} (read as {score.scheme_read})"
        read = "(none)" if outcome.value is None else f"`{outcome.value}`"
        out.append(f"| {image} | {name} | `{outcome.expected}` | {read} | {outcome.confidence:.2f} |")
    return out


def render(*, generated: SetRuns, committed: SetRuns | None, default: str, machine: Mapping[str, str],
           command: str) -> str:
    lines = ["# Reading benchmark", "",
             "Written by `make bench` (`.venv/bin/python -m bench` with its defaults); do not edit by hand.",
             f"This run's effective command: `{command}`", "",
             "## Machine", ""]
    lines += [f"- {key}: {value}" for key, value in machine.items()]
    lines += ["", "## Sets", "", f"- **{generated.title}**: {generated.description}"]
    if committed:
        lines.append(f"- **{committed.title}**: {committed.description}")
    lines += ["", "## How it is counted", "",
              "- A field of an image is counted when its ground truth is non-null (the generator printed it), the "
              "card's *true* kind file defines it (`fields` keys of `verification/kinds/<kind>.yaml`; `validity` "
              "counts as `valid_from` and `valid_until`), and the generator did not make it unreadable on purpose "
              "(`render.unreadable_fields`). So `id_number` counts only on construction_operation (the other kinds "
              "embed it in `number` and print no separate field) and `item` only on the two kinds that have it. "
              "The denominator depends on the ground truth only, not on what the engine recognised.",
              "- **Exact**: `read_card(...)[1].fields[name].value` equals the ground-truth string character for "
              "character (dates ISO). A field not returned, or returned as None, is wrong (also counted as *missing*).",
              "- **All fields exact**: an image whose every counted field is exact (images with no counted field — a "
              "document of no known kind — are left out of this share).",
              "- **Kind correct**: `read_card(...)[1].scheme` equals the true kind (null for a document of no known "
              "kind).",
              f"- **Trusted wrong**: a counted field read with a value that is wrong, at confidence ≥ "
              f"{TRUSTED_CONFIDENCE} (the rules' trust threshold): such a value is judged and can raise a false "
              "alarm.",
              "- **Time**: wall time of `read_card(engine, image, specs)` (`engine.read`, `read_fields` and the "
              "second look) per image, single process, images one "
              "after another; decoding the file and generating the set are excluded; one untimed warm-up read "
              "per engine. images/s = images ÷ summed time.",
              f"- **{WHOLE}**: `pytesseract.image_to_data(image, lang=\"chi_sim+eng\")` with Tesseract's defaults on "
              "the loaded image, no preprocessing; words grouped into Tesseract's own lines and joined with the "
              "production engine's CJK spacing; then the same `read_fields` (`bench/whole.py`).",
              "", "## Targets (generated set)", ""]
    lines += target_rows(generated.runs, default)
    lines += [""] + speed_lines(generated.runs, default)
    for runs in (generated, committed):
        if runs is None:
            continue
        lines += ["", f"## {runs.title}: summary", ""] + summary_table(runs.runs, default)
        lines += ["", f"## {runs.title}: exact match % per field (hits/counted)"]
        for run in runs.runs:
            lines += ["", f"### {engine_label(run.engine, default)}", ""] + field_table(run)
            if run.errors:
                lines += ["", f"Engine errors ({len(run.errors)}), scored as nothing read:", ""]
                lines += [f"- {e}" for e in run.errors]
    default_run = next((r for r in generated.runs if r.engine == default), None)
    if default_run:
        lines += ["", f"## Misreads of the default engine ({default}), {generated.title.lower()}", ""]
        lines += misreads(default_run)
    return "\n".join(lines) + "\n"
