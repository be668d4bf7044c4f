"""Writing XLSX downloads, shared by the operator ledger, the report forms and the batch results, which
had each copied the same helpers: a styled cell for openpyxl's write-only sheets (whose rows take cells,
not cell positions to style afterwards), a workbook saved to bytes, and the xlsx media type."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BOLD = Font(bold=True)


def styled_cell(sheet: Any, value: Any, font: Font | None = None, alignment: Alignment | None = None,
                border: Border | None = None) -> WriteOnlyCell:
    """A cell for a write-only sheet's row, with whichever of font, alignment and border are given."""
    cell = WriteOnlyCell(sheet, value=value)
    if font:
        cell.font = font
    if alignment:
        cell.alignment = alignment
    if border:
        cell.border = border
    return cell


def workbook_bytes(workbook: Workbook) -> bytes:
    """The workbook as an .xlsx file's bytes."""
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
