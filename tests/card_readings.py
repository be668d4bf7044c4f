"""A special-operation card as the reader would see it, for tests that replace the OCR stage (the
`reads` fixture): everything after it, rules, storage and the service, runs for real."""

from __future__ import annotations

from datetime import date

from ocr.types import Box, FieldReading, QrPayload, QrReading, ReadFields
from verification.reading import CardReading

AS_OF = date(2026, 11, 24)
ID_NUMBER = "11010519491231002X"  # GB 11643's published example, not a real person
NUMBER = f"T{ID_NUMBER}"
CARD = {"number": NUMBER, "name": "张三", "sex": "女", "category": "电工作业", "item": "低压电工作业",
        "first_issued": "2022-03-01", "valid_from": "2022-03-01", "valid_until": "2028-02-29",
        "authority": "北京市应急管理局"}
QR = "https://cx.mem.gov.cn/special?index=0&certNum={number}"


def reading(confidence: dict[str, float] | None = None, **changes: str) -> CardReading:
    """The special-operation card as read, with `changes`; fields read at 0.95 unless `confidence` says."""
    fields = {name: FieldReading(value, value, (confidence or {}).get(name, 0.95), Box(10, 30 * i, 200, 24))
              for i, (name, value) in enumerate({**CARD, **changes}.items())}
    qr = QrReading([QrPayload(QR.format(number=changes.get("number", NUMBER)), Box(500, 300, 120, 120), "test")],
                   True)
    return CardReading(ReadFields("special_operation", 0.9, fields), qr)
