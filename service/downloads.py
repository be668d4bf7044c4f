"""Building export downloads, shared by the operator ledger, the report forms, the batch results and the
audit log, which had each copied these: the download response itself (never cached, never sniffed),
spreadsheet text safe from formula injection, a styled cell for openpyxl's write-only sheets (whose rows
take cells, not cell positions to style afterwards), a workbook saved to bytes, and the xlsx media type."""

from __future__ import annotations

import io
from typing import Any

from flask import Response
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BOLD = Font(bold=True)
# A spreadsheet runs a cell starting with one of these as a formula; an archive's member names are
# the uploader's to choose, so such text is prefixed with an apostrophe (OWASP CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def attachment(body: bytes | str, content_type: str, filename: str) -> Response:
    """An export as a download: never cached, never sniffed as another type."""
    response = Response(body, content_type=content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def spreadsheet_text(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_START) else text


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
