"""The audit trail for those who may audit it: browse and filter it, export it (the export is audited too)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import asdict

from flask import Response, abort, render_template, request

from service import audit
from service.audit import audit_filters, audit_query, shown
from service.auth import permission_required
from service.db import db_session
from service.downloads import spreadsheet_text
from service.models import AuditAction, AuditEvent, Permission
from service.web import bp

AUDIT_PAGE = 100
CSV_COLUMNS = ("id", "at", "actor", "action", "object_type", "object_id", "ip", "purpose", "detail")


@bp.get("/audit")
@permission_required(Permission.audit)
def audit_log():
    """Audit rows, newest first, one page at a time, filtered by action, actor or object."""
    filters = filters_or_400()
    page = max(request.args.get("page", 1, type=int), 1)
    rows = db_session().scalars(audit_query(filters).offset((page - 1) * AUDIT_PAGE).limit(AUDIT_PAGE + 1)).all()
    audit.record(AuditAction.view, object_type="audit", detail={"page": page, **chosen(filters)})
    return render_template("web/audit.html", events=[shown(row) for row in rows[:AUDIT_PAGE]], filters=filters,
                           chosen=chosen(filters), page=page, has_more=len(rows) > AUDIT_PAGE,
                           actions=list(AuditAction))


@bp.get("/audit.csv")
@permission_required(Permission.audit)
def audit_export():
    """Every row the filters select, as CSV. The download exists only once its own audit row does."""
    filters = filters_or_400()
    rows = db_session().scalars(audit_query(filters)).all()
    body = audit_csv(rows)
    audit.record(AuditAction.export, object_type="audit", detail={"rows": len(rows), **chosen(filters)})
    return Response(body, content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="certguard-audit.csv"',
                             "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"})


def filters_or_400() -> audit.AuditFilters:
    try:
        return audit_filters(request.args)
    except ValueError as exc:
        abort(400, str(exc))


def chosen(filters: audit.AuditFilters) -> dict[str, str]:
    return {name: value for name, value in asdict(filters).items() if value is not None}


def audit_csv(events: Iterable[AuditEvent]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for event in events:
        row = shown(event)
        row["detail"] = json.dumps(row["detail"], ensure_ascii=False) if row["detail"] is not None else ""
        writer.writerow(spreadsheet_text(row[name]) if isinstance(row[name], str) else row[name]
                        for name in CSV_COLUMNS)
    return buffer.getvalue()
