"""Hand-built readings for rule tests: no images, no OCR."""

from __future__ import annotations

from datetime import date

from ocr.types import Box, FieldReading, QrPayload, QrReading, ReadFields
from verification.facts import Facts
from verification.kinds import load_kinds
from verification.reading import CardReading, CheckContext

KINDS = load_kinds()
AS_OF = date(2026, 11, 24)

GENUINE = {
    "special_operation": {
        "number": "T11010519491231002X", "name": "张三", "sex": "女", "category": "电工作业",
        "item": "低压电工作业", "first_issued": "2022-03-01", "valid_from": "2022-03-01",
        "valid_until": "2028-02-29", "authority": "北京市应急管理局",
    },
    "construction_operation": {
        "number": "豫A012025000123", "id_number": "11010519491231002X", "name": "李四", "sex": "女",
        "category": "建筑电工", "first_issued": "2025-06-01", "valid_from": "2025-06-01",
        "valid_until": "2027-05-31", "authority": "河南省住房和城乡建设厅",
    },
    "special_equipment": {
        "number": "11010519491231002X", "name": "王五", "sex": "女", "category": "起重机作业",
        "item": "Q2", "first_issued": "2024-07-25", "valid_from": "2024-07-25",
        "valid_until": "2028-07-24", "authority": "沈阳市市场监督管理局",
    },
}
QR = {
    "special_operation": "https://cx.mem.gov.cn/special?index=0&certNum=T11010519491231002X",
    "construction_operation": "https://zlaq.mohurd.gov.cn/q?certNum=豫A012025000123",
    "special_equipment": "https://cnse.samr.gov.cn/info-pub/pub?zjhm=11010519491231002X",
}


def make_reading(scheme: str | None, fields: dict[str, str | None], *, confidence: float = 0.95,
                 qr: list[str] | None = None, symbol_seen: bool | None = None) -> CardReading:
    readings = {name: FieldReading(value, value, confidence, Box(10, 10 * i, 100, 20))
                for i, (name, value) in enumerate(fields.items())}
    payloads = [QrPayload(text, Box(500, 300, 120, 120), "test") for text in (qr or [])]
    seen = bool(payloads) if symbol_seen is None else symbol_seen
    return CardReading(ReadFields(scheme, 0.9 if scheme else 0.1, readings), QrReading(payloads, seen))


def genuine(scheme: str, **changes: str | None) -> CardReading:
    return make_reading(scheme, {**GENUINE[scheme], **changes}, qr=[QR[scheme]])


def context(scheme: str | None, facts: Facts | None = None, as_of: date = AS_OF) -> CheckContext:
    return CheckContext(KINDS.get(scheme) if scheme else None, facts or Facts(), as_of)
