"""Flagged checks stored straight into the database, for the review tests (no image is read)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from service.db import db_session
from service.models import Batch, BatchItem, Check, User

ID_NUMBER = "11010519491231002X"  # GB 11643's published example, not a real person
SEVERITIES = {"REGISTRY_MISMATCH": "error", "QR_MISMATCH": "error", "EXPIRED": "error"}
START = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def contract(*, verdict: str, codes: tuple[str, ...], number: str | None, name: str, id_number: str | None,
             scheme: str = "special_operation") -> dict:
    findings = [{"code": code, "severity": SEVERITIES.get(code, "warning"), "message": f"{code} on T{ID_NUMBER}",
                 "evidence": {"field": "number", "read": number, "box": [10 + 40 * i, 20, 120, 30]}}
                for i, code in enumerate(codes)]
    return {"source": f"{name}.png", "scheme": scheme,
            "fields": {"number": number, "name": name, "sex": "女", "id_number": id_number, "category": "电工作业",
                       "item": "低压电工作业", "first_issued": "2022-03-01", "valid_from": "2022-03-01",
                       "valid_until": "2028-02-29", "authority": "北京市应急管理局"},
            "field_confidence": {"number": 0.97, "name": 0.91},
            "qr": {"payloads": [f"https://cx.mem.gov.cn/special?index=0&certNum={number}"]},
            "findings": findings, "verdict": verdict}


def add_flagged(user: User, *, verdict: str = "suspect", codes: tuple[str, ...] = ("REGISTRY_NOT_FOUND",),
                number: str | None = f"T{ID_NUMBER}", name: str = "张三", id_number: str | None = ID_NUMBER,
                scheme: str = "special_operation", minutes: int = 0, storage_key: str = "0" * 32,
                batch: Batch | None = None) -> Check:
    """A done check with `codes` as its findings, stored `minutes` after START (committed)."""
    session = db_session()
    check = Check(user_id=user.id, source=f"{name}.png", original_name=None, sha256="0" * 64,
                  storage_key=storage_key, media_type="image/png", as_of=date(2026, 11, 24),
                  created_at=START + timedelta(minutes=minutes), scheme=scheme,
                  number=number, verdict=verdict,
                  result=contract(verdict=verdict, codes=codes, number=number, name=name, id_number=id_number,
                                  scheme=scheme))
    session.add(check)
    session.flush()
    if batch is not None:
        session.add(BatchItem(batch_id=batch.id, seq=check.id, origin=f"cards.zip!/{check.id}.png", state="done",
                              check_id=check.id))
    session.commit()
    return check


def add_batch(user: User) -> Batch:
    batch = Batch(user_id=user.id, source="cards.zip", as_of=date(2026, 11, 24), state="done", total=0)
    db_session().add(batch)
    db_session().commit()
    return batch
