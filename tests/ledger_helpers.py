"""Ledger workbooks built in memory, as a using unit would send them."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook

HEADERS = ("姓名", "岗位", "证书种类", "证号", "作业项目", "有效期至")


def fake_number(serial: int) -> str:
    """A special-operation number of the right form for nobody: province code 99 does not exist."""
    return f"T99{serial:015d}X"


def ledger_workbook(rows: list[tuple[Any, ...]], headers: tuple[str, ...] = HEADERS,
                    title: str | None = "台账") -> bytes:
    """An .xlsx with a title row (unless None), the header row and `rows`."""
    workbook = Workbook()
    sheet = workbook.active
    if title:
        sheet.append([title])
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
