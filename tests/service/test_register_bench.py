"""bench/register.py at toy sizes: it builds each register, times it and reports every size."""

from __future__ import annotations

from bench.register import register_section


def test_register_section_reports_each_size_against_the_first():
    section = register_section(rows=(0, 300), repeats=5)
    assert section.startswith("## Register look-ups\n")
    table = [line.split("|")[1:-1] for line in section.splitlines() if line.startswith("| ") and line[2].isdigit()]
    assert [cells[0].strip() for cells in table] == ["0", "300"]
    assert table[0][5].strip() == "×1.00"
    assert all(float(cell) > 0 for cells in table for cell in cells[1:5])
    assert "300 rows add" in section
