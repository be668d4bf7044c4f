"""A using unit's operator ledger (作业人员管理台账): imported from Excel, shown and exported with each
operator's status, and matched with the checks by certificate number.

The ledger is what the unit declares; an import replaces the unit's rows. Each operator's status:
no certificate (无证) when the ledger gives no number; counterfeit when the latest judgement of a check of
that number is (`service.review.confirmed_counterfeits`); else expired, expiring (within EXPIRING_DAYS) or
valid by the ledger's 有效期至. The post is judged against the ledger's 作业项目 (`verification.posts`).
No ID number is read or kept, and certificate numbers leave masked.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import IO, Any
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from flask import current_app
from openpyxl import Workbook, load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from sqlalchemy import and_, delete, func, select
from sqlalchemy.orm import Session

from ocr.normalise import normalise_code, normalise_date, normalise_text
from service import audit
from service.downloads import BOLD, spreadsheet_text, styled_cell, workbook_bytes
from service.models import AuditAction, Check, CheckState, LedgerEntry, Unit
from service.pipeline import get_kinds
from service.review import confirmed_counterfeits
from verification.kinds import Kind
from verification.posts import PostTable, load_posts, post_key
from verification.privacy import mask

# The import's columns, found by these headers in any order (other columns are ignored).
COLUMNS = {"姓名": "name", "岗位": "post", "证书种类": "kind", "证号": "number", "作业项目": "item",
           "有效期至": "valid_until"}
HEADERS = {key: header for header, key in COLUMNS.items()}
CERTIFICATE_COLUMNS = ("证书种类", "作业项目", "有效期至")  # required once a row gives a number
EXPORT_HEADERS = ("序号", "姓名", "岗位", "证书种类", "证号", "作业项目", "有效期至", "最近查验", "查验结论", "状态",
                  "岗位核对")
MAX_ROWS = 5000  # a unit's operators; a longer sheet is refused rather than read on
# What the workbook's parts may inflate to: zipfile stops each at its declared size, and openpyxl holds a
# sheet's shared strings in memory, so a small upload must not declare gigabytes (a zip bomb).
MAX_UNPACKED_BYTES = 64 * 2**20
HEADER_ROWS = 10  # the header is looked for in the sheet's first rows, below any title
MAX_PROBLEMS = 20
EXPIRING_DAYS = 90
MISMATCH = "作业项目与岗位不符"
TEXT_LENGTH = {"name": LedgerEntry.name.type.length, "post": LedgerEntry.post.type.length,
               "item": LedgerEntry.item.type.length, "number": LedgerEntry.number.type.length}


class LedgerStatus(StrEnum):
    valid = "valid"
    expiring = "expiring"
    expired = "expired"
    counterfeit = "counterfeit"
    no_certificate = "no certificate"


STATUS_LABELS = {LedgerStatus.valid: "有效", LedgerStatus.expiring: "即将到期", LedgerStatus.expired: "已过期",
                 LedgerStatus.counterfeit: "假冒", LedgerStatus.no_certificate: "无证"}
VERDICT_LABELS = {"pass": "通过", "suspect": "存疑", "reject": "不通过"}


class LedgerRefused(Exception):
    """A ledger file that cannot be imported; `problems` says what to fix, row by row, numbers masked."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class LedgerRow:
    name: str
    post: str
    scheme: str | None
    number: str | None
    item: str | None
    valid_until: date | None


@dataclass(frozen=True)
class LastCheck:
    id: int
    created_at: datetime
    verdict: str | None


@dataclass(frozen=True)
class LedgerLine:
    """An operator as the ledger page and export show them."""

    entry: LedgerEntry
    kind_name: str | None
    status: LedgerStatus
    last_check: LastCheck | None
    post_mismatch: bool | None  # None: the post is not in the table, or there is no certificate

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def masked_number(self) -> str:
        return mask(self.entry.number) if self.entry.number else ""


def get_posts() -> PostTable:
    """The post table, loaded once per app with its kinds."""
    extensions = current_app.extensions
    if "certguard.posts" not in extensions:
        extensions["certguard.posts"] = load_posts(get_kinds())
    return extensions["certguard.posts"]


def kind_names(kinds: dict[str, Kind]) -> dict[str, str]:
    """What a ledger may write in 证书种类 → the kind's id: the id, the name or any printed title."""
    names = {}
    for kind_id, kind in kinds.items():
        for name in (kind_id, kind.name, *kind.titles):
            names[post_key(name)] = kind_id
    return names


def read_ledger(stream: IO[bytes], kinds: dict[str, Kind]) -> list[LedgerRow]:
    """The operators of an .xlsx ledger, or LedgerRefused listing every problem found (up to MAX_PROBLEMS).

    Read-only mode streams the sheet, so a large file is not held in memory; reading stops at MAX_ROWS.
    """
    not_a_workbook = LedgerRefused(["The file is not an Excel workbook (.xlsx)."])
    try:
        with zipfile.ZipFile(stream) as parts:
            if sum(part.file_size for part in parts.infolist()) > MAX_UNPACKED_BYTES:
                raise LedgerRefused([f"The workbook unpacks to more than {MAX_UNPACKED_BYTES // 2**20} MiB."])
        stream.seek(0)
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise not_a_workbook from exc
    try:
        return rows_of(workbook.worksheets[0].iter_rows(values_only=True), kind_names(kinds), kinds)
    except (DefusedXmlException, ParseError) as exc:  # read-only sheets are parsed as the rows are read
        raise not_a_workbook from exc
    finally:
        workbook.close()


def rows_of(sheet: Iterable[tuple[Any, ...]], names: dict[str, str], kinds: dict[str, Kind]) -> list[LedgerRow]:
    rows, problems, columns = [], [], None
    for line, values in enumerate(sheet, start=1):
        if columns is None:
            found = {str(value).strip(): index for index, value in enumerate(values) if value is not None}
            if {"姓名", "岗位", "证号"} <= set(found):
                columns = {key: found.get(header) for header, key in COLUMNS.items()}
            elif line >= HEADER_ROWS:
                break
            continue
        cells = {key: values[index] if index is not None and index < len(values) else None
                 for key, index in columns.items()}
        if all(value in (None, "") for value in cells.values()):
            continue
        if len(rows) + len(problems) >= MAX_ROWS:
            problems.append(f"The ledger has more than {MAX_ROWS} operators; split it by unit.")
            break
        try:
            rows.append(ledger_row(cells, names, kinds))
        except ValueError as problem:
            problems.append(f"Row {line}: {problem}")
    if columns is None:
        problems.append(f"No header row with 姓名, 岗位 and 证号 in the first {HEADER_ROWS} rows.")
    if problems:
        raise LedgerRefused(problems[:MAX_PROBLEMS])
    return rows


def ledger_row(cells: dict[str, Any], names: dict[str, str], kinds: dict[str, Kind]) -> LedgerRow:
    """One operator from a row's cells; ValueError says what is wrong, the number masked."""
    name, post, item = (text_cell(cells[key], key) for key in ("name", "post", "item"))
    if not name or not post:
        raise ValueError("姓名 and 岗位 are required.")
    number = cells["number"]
    if isinstance(number, float):
        raise ValueError("证号 is stored as a number, which loses digits; format the column as text.")
    number = normalise_code(str(number), repair_lookalikes=False).upper() if number not in (None, "") else None
    if number is None:
        return LedgerRow(name, post, None, None, item, None)
    missing = [header for header in CERTIFICATE_COLUMNS if cells[COLUMNS[header]] in (None, "")]
    if missing:
        raise ValueError(f"{', '.join(missing)} required with a 证号.")
    scheme = names.get(post_key(str(cells["kind"])))
    if scheme is None:
        known = ", ".join(kind.name for kind in kinds.values())
        raise ValueError(f"证书种类 {str(cells['kind'])[:30]!r} is none of {known}.")
    if len(number) > TEXT_LENGTH["number"] or not kinds[scheme].number_pattern.fullmatch(number):
        raise ValueError(f"证号 {mask(number)} does not have the form of a {kinds[scheme].name}.")
    return LedgerRow(name, post, scheme, number, item, date_cell(cells["valid_until"]))


def text_cell(value: Any, key: str) -> str | None:
    text = normalise_text(str(value)) if value not in (None, "") else None
    if text and len(text) > TEXT_LENGTH[key]:
        raise ValueError(f"{HEADERS[key]} is longer than {TEXT_LENGTH[key]} characters.")
    return text


def date_cell(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    found = normalise_date(str(value))
    if found is None:
        raise ValueError(f"有效期至 {str(value)[:20]!r} is not a date (YYYY-MM-DD).")
    return date.fromisoformat(found)


def replace_ledger(session: Session, unit: Unit, rows: list[LedgerRow], file_name: str) -> None:
    """Make `rows` the unit's ledger, committed with the audit row."""
    session.execute(delete(LedgerEntry).where(LedgerEntry.unit_id == unit.id))
    session.add_all(LedgerEntry(unit_id=unit.id, seq=seq, name=row.name, post=row.post, scheme=row.scheme,
                                number=row.number, item=row.item, valid_until=row.valid_until)
                    for seq, row in enumerate(rows, start=1))
    audit.record(AuditAction.edit, object_type="ledger", object_id=unit.id,
                 detail={"operators": len(rows), "file": file_name})


def status_of(entry: LedgerEntry, counterfeit: bool, today: date) -> LedgerStatus:
    if entry.number is None:
        return LedgerStatus.no_certificate
    if counterfeit:
        return LedgerStatus.counterfeit
    if entry.valid_until is None or entry.valid_until < today:
        return LedgerStatus.expired
    if entry.valid_until <= today + timedelta(days=EXPIRING_DAYS):
        return LedgerStatus.expiring
    return LedgerStatus.valid


def ledger_lines(session: Session, unit: Unit, today: date) -> list[LedgerLine]:
    """The unit's operators in the ledger's order, each with its latest check and status."""
    entries = session.scalars(select(LedgerEntry).where(LedgerEntry.unit_id == unit.id).order_by(LedgerEntry.seq))
    same_card = and_(Check.scheme == LedgerEntry.scheme, Check.number == LedgerEntry.number,
                     Check.state == CheckState.done)
    latest = dict(session.execute(select(LedgerEntry.id, func.max(Check.id)).join(Check, same_card)
                                  .where(LedgerEntry.unit_id == unit.id).group_by(LedgerEntry.id)).all())
    checks = {row.id: LastCheck(row.id, row.created_at, row.verdict) for row in session.execute(
        select(Check.id, Check.created_at, Check.verdict).where(Check.id.in_(set(latest.values()))))}
    confirmed = confirmed_counterfeits().subquery()
    counterfeit = set(session.scalars(select(LedgerEntry.id).join(Check, same_card)
                                      .join(confirmed, confirmed.c.check_id == Check.id)
                                      .where(LedgerEntry.unit_id == unit.id)))
    kinds, posts = get_kinds(), get_posts()
    return [LedgerLine(entry, kinds[entry.scheme].name if entry.scheme in kinds else entry.scheme,
                       status_of(entry, entry.id in counterfeit, today), checks.get(latest.get(entry.id)),
                       posts.mismatch(entry.post, entry.item) if entry.number else None)
            for entry in entries]


def ledger_xlsx(unit: Unit, lines: list[LedgerLine], today: date) -> bytes:
    """The ledger as the unit keeps it, with what certguard adds (latest check, status, post check);
    certificate numbers masked. Write-only, so rows stream to the file."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("作业人员管理台账")
    sheet.append([styled_cell(sheet, f"{unit.district.name} {unit.name} 作业人员管理台账", BOLD)])
    sheet.append([f"导出时间：{today.isoformat()}"])
    sheet.append([styled_cell(sheet, header, BOLD) for header in EXPORT_HEADERS])
    for seq, line in enumerate(lines, start=1):
        entry, check = line.entry, line.last_check
        sheet.append([seq, spreadsheet_text(entry.name), spreadsheet_text(entry.post), line.kind_name or "",
                      line.masked_number, spreadsheet_text(entry.item or ""), entry.valid_until,
                      check.created_at.date() if check else None,
                      VERDICT_LABELS.get(check.verdict, "") if check else "", line.status_label,
                      MISMATCH if line.post_mismatch else ""])
    return workbook_bytes(workbook)


def template_xlsx() -> bytes:
    """An empty ledger with the import's headers and one example row."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("作业人员管理台账")
    sheet.append([styled_cell(sheet, header, BOLD) for header in COLUMNS])
    # A number of the right form with serial 000000, which no authority issues.
    sheet.append(["张三", "建筑电工", "建筑施工特种作业操作资格证书", "京A012020000000", "建筑电工", date(2027, 6, 30)])
    return workbook_bytes(workbook)
