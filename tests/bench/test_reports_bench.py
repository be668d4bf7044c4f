"""bench/reports.py at toy sizes: it writes each campaign, exports every form in a child process, reports each size."""

from __future__ import annotations

from bench.reports import reports_section


def test_reports_section_times_every_export_at_each_size():
    section = reports_section(sizes=(200, 400))
    assert section.startswith("## Report forms\n")
    table = [line.split("|")[1:-1] for line in section.splitlines() if line.startswith("| ") and line[2].isdigit()]
    assert [cells[0].strip() for cells in table] == ["200", "400"]
    assert all(0 < float(cell) < 30 for cells in table for cell in cells[1:5])  # form-a/b × xlsx/csv seconds
    assert "Target (a form exported over 400 checks in at most 30 s): met" in section
    assert "Target (flat memory" in section
