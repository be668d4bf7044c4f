"""A filled form as the authority's spreadsheet: title, 填报单位 and 填报时间, the statistics period, the
column headers exactly as printed, one row per district and the total row. XLSX through openpyxl's
write-only mode (rows stream to the file, so memory stays flat however many rows), and CSV with the same
rows, UTF-8 with a byte-order mark so spreadsheet programs read the Chinese right."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from flask import Response
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from service import audit
from service.downloads import BOLD, XLSX_MEDIA_TYPE, attachment, styled_cell, workbook_bytes
from service.models import AuditAction
from service.reports.compute import FormRow, FormTable

CONTENT_TYPES = {"xlsx": XLSX_MEDIA_TYPE, "csv": "text/csv; charset=utf-8"}
THIN = Side(style="thin")
GRID = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
AREA_WIDTH, COLUMN_WIDTH = 14, 13


def preamble(table: FormTable) -> list[list[str | None]]:
    """The lines above the header: title; 填报单位 … 填报时间 (in the last column); the period."""
    filed_on = table.filed_on
    filing = [f"填报单位：{table.filed_by}", *[None] * (len(table.form.headers) - 2),
              f"填报时间：{filed_on.year}年{filed_on.month}月{filed_on.day}日"]
    return [[table.form.title], filing, [f"统计期间：{table.period.label}"]]


def text_of(value: int | Decimal | str | None, decimals: int = 0) -> str:
    """A form's cell as printed: blank when there is nothing to divide by, decimals as the column has them."""
    if value is None:
        return ""
    return f"{value:.{decimals}f}" if isinstance(value, Decimal) else str(value)


def csv_bytes(table: FormTable) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerows(preamble(table))
    writer.writerow(table.form.headers)
    decimals = [0, *(column.decimals for column in table.form.columns)]
    for row in (*table.rows, table.total):
        writer.writerow(text_of(cell, places) for cell, places in zip(row.cells(table.form), decimals, strict=True))
    return buffer.getvalue().encode("utf-8-sig")


def xlsx_bytes(table: FormTable) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(table.form.title[:31])  # Excel's limit on a sheet's name
    width = len(table.form.headers)
    last = get_column_letter(width)
    sheet.column_dimensions["A"].width = AREA_WIDTH
    for index in range(2, width + 1):
        sheet.column_dimensions[get_column_letter(index)].width = COLUMN_WIDTH
    title, filing, period = preamble(table)
    sheet.append([styled_cell(sheet, title[0], Font(bold=True, size=14), Alignment(horizontal="center"))])
    sheet.append([*filing[:-1], styled_cell(sheet, filing[-1], alignment=Alignment(horizontal="right"))])
    sheet.append(period)
    sheet.append([styled_cell(sheet, header, BOLD, Alignment(horizontal="center", vertical="center", wrap_text=True),
                              GRID)
                  for header in table.form.headers])
    for row in table.rows:
        sheet.append(row_cells(sheet, table, row))
    sheet.append(row_cells(sheet, table, table.total, BOLD))
    for merged in (f"A1:{last}1", f"A3:{last}3"):
        sheet.merged_cells.add(merged)
    return workbook_bytes(workbook)


def row_cells(sheet, table: FormTable, row: FormRow, font: Font | None = None) -> list[WriteOnlyCell]:
    cells = [styled_cell(sheet, row.area, font, border=GRID)]
    for column in table.form.columns:
        value = row.values[column.key]
        cell = styled_cell(sheet, float(value) if isinstance(value, Decimal) else value, font, border=GRID)
        cell.number_format = f"0.{'0' * column.decimals}" if column.decimals else "0"
        cells.append(cell)
    return cells


def download_response(table: FormTable, fmt: str) -> Response:
    """A filled form as a file in `fmt` (a key of CONTENT_TYPES); the export is audited, as it leaves the system."""
    body = {"xlsx": xlsx_bytes, "csv": csv_bytes}[fmt](table)
    audit.record(AuditAction.export, object_type="report", object_id=f"{table.form.id} {table.period.key}",
                 detail={"format": fmt})
    return attachment(body, CONTENT_TYPES[fmt], f"{table.form.id}-{table.period.key.replace('..', '_')}.{fmt}")
