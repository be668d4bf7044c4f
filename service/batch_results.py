"""A batch's results as downloads: JSONL (the verdict contract plus `origin`), CSV and XLSX.

One row per item that has an outcome, in the upload's order: its origin, state, verdict, the codes
of its findings, a link to its check's page and its timings (milliseconds spent reading and judging
it, and when it was recorded). The spreadsheets carry no field values, so no holder's name leaves in
them; the JSONL is what the API returns for each check. ID and certificate numbers are masked in
every format, origins included (a scan may be named after its holder's number), and every download
is audited as an export.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Response, url_for
from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from service import audit
from service.db import db_session
from service.downloads import XLSX_MEDIA_TYPE, attachment, spreadsheet_text, workbook_bytes
from service.masking import mask_numbers, masked
from service.models import AuditAction, Batch, BatchItem, ItemState

FORMATS = {"jsonl": "application/x-ndjson", "csv": "text/csv; charset=utf-8", "xlsx": XLSX_MEDIA_TYPE}
COLUMNS = ("item", "origin", "state", "verdict", "kind", "findings", "error", "page", "elapsed_ms", "finished_at")
CANCELLED = {"code": "cancelled", "message": "The batch was cancelled before this item was checked."}


@dataclass(frozen=True)
class ResultRow:
    item: BatchItem
    page: str | None  # the check's page, absolute

    def line(self) -> dict[str, Any]:
        """The JSONL line: a done item's contract with its check's id, or why it has none; with its timings."""
        item = self.item
        if item.check is not None:
            return {**item.check.to_contract(), "origin": item.origin, "state": item.state, "page": self.page,
                    **self.timings()}
        error = CANCELLED if item.state == ItemState.cancelled else {"code": item.error_code,
                                                                     "message": item.error_message}
        return {"source": item.origin, "origin": item.origin, "state": item.state, "error": error, **self.timings()}

    def timings(self) -> dict[str, Any]:
        """Milliseconds spent reading and judging the item (none for one that failed before it was read),
        and when it was recorded (none for one cancelled)."""
        finished_at = self.item.finished_at
        return {"elapsed_ms": self.item.elapsed_ms, "finished_at": finished_at.isoformat() if finished_at else None}

    def cells(self) -> tuple[Any, ...]:
        check = self.item.check
        result = check.result if check is not None and check.result else {}
        findings = " ".join(finding["code"] for finding in result.get("findings", []))
        error = self.item.error_code or ("cancelled" if self.item.state == ItemState.cancelled else "")
        timings = self.timings()
        return (self.item.seq, spreadsheet_text(mask_numbers(self.item.origin)), self.item.state,
                result.get("verdict", ""),
                result.get("scheme") or "", findings, error, self.page or "",
                "" if timings["elapsed_ms"] is None else timings["elapsed_ms"], timings["finished_at"] or "")


def result_rows(batch: Batch, page_url: Callable[[int], str]) -> list[ResultRow]:
    """Items with an outcome, in the upload's order."""
    query = (select(BatchItem).where(BatchItem.batch_id == batch.id, BatchItem.state != ItemState.queued)
             .options(selectinload(BatchItem.check)).order_by(BatchItem.seq))
    return [ResultRow(item, page_url(item.check_id) if item.check_id else None)
            for item in db_session().scalars(query)]


def jsonl_text(rows: list[ResultRow]) -> str:
    return "".join(json.dumps(masked(row.line()), ensure_ascii=False) + "\n" for row in rows)


def csv_text(rows: list[ResultRow]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    writer.writerows(row.cells() for row in rows)
    return buffer.getvalue()


def xlsx_bytes(rows: list[ResultRow]) -> bytes:
    """A write-only workbook: rows go straight to the file rather than into a sheet held in memory."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Results")
    sheet.append(COLUMNS)
    for row in rows:
        sheet.append(row.cells())
    return workbook_bytes(workbook)


def results_response(batch: Batch, fmt: str) -> Response:
    """The download in `fmt` (a key of FORMATS), built whole: a batch is capped at a few thousand items
    (ArchiveLimits.max_items), a few megabytes of JSON at most."""
    rows = result_rows(batch, lambda check_id: url_for("web.check_result", check_id=check_id, _external=True))
    body = {"jsonl": jsonl_text, "csv": csv_text, "xlsx": xlsx_bytes}[fmt](rows)
    audit.record(AuditAction.export, object_type="batch", object_id=batch.id,
                 detail={"format": fmt, "checks": [row.item.check_id for row in rows if row.item.check_id]})
    return attachment(body, FORMATS[fmt], f"batch-{batch.id}-results.{fmt}")

