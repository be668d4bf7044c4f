"""How a check's verdict contract is laid out for people: field labels, field rows, the one-line reason.

These lay out the contract they are given: the pages give them a `masked` one unless the user revealed it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

FIELD_LABELS = {
    "name": ("Name", "姓名"),
    "number": ("Certificate no.", "证号"),
    "id_number": ("ID number", "身份证号"),
    "sex": ("Sex", "性别"),
    "category": ("Category", "作业类别"),
    "item": ("Item", "准操项目"),
    "first_issued": ("First issued", "初领日期"),
    "valid_from": ("Valid from", "有效期起"),
    "valid_until": ("Valid until", "有效期至"),
    "authority": ("Issued by", "发证机关"),
}
REGISTER_FIELDS = ("number", "name", "id_number", "category", "item", "first_issued", "valid_until", "authority")
VERDICT_EXPLANATIONS = {
    "pass": "Nothing wrong found: the card is consistent with its kind's rules.",
    "suspect": "Something is doubtful: a reviewer should look at the findings below.",
    "reject": "The card breaks a rule that a genuine certificate cannot break.",
}


@dataclass(frozen=True)
class FieldRow:
    """One line of the "Fields read" list; `value` is None when the reading was too unsure to use."""

    name: str
    label: str
    label_zh: str
    value: str | None
    confidence: float | None

    @property
    def low_confidence(self) -> bool:
        return self.value is None


def field_rows(result: dict[str, Any]) -> list[FieldRow]:
    """The fields that were read or attempted.

    The contract nulls a field read below the confidence threshold, so a row without a value is a
    field the reader saw but could not trust. Fields the card's kind does not print are left out.
    """
    unreadable = {f["evidence"].get("field") for f in result["findings"] if f["code"] == "FIELD_UNREADABLE"}
    rows = []
    for name, (label, label_zh) in FIELD_LABELS.items():
        value = result["fields"].get(name)
        confidence = result["field_confidence"].get(name)
        if value is None and confidence is None and name not in unreadable:
            continue
        rows.append(FieldRow(name, label, label_zh, value, confidence))
    return rows


@dataclass(frozen=True)
class RegisterRow:
    """One field as read on the card beside the register's value for it."""

    name: str
    label: str
    label_zh: str
    read: str | None
    held: str | None

    @property
    def differs(self) -> bool:
        return self.read is not None and self.held is not None and self.read != self.held


def register_rows(result: dict[str, Any], record: dict[str, Any]) -> list[RegisterRow]:
    """The card's fields beside the register's record, for the fields a register holds."""
    return [RegisterRow(name, *FIELD_LABELS[name], result["fields"].get(name), record.get(name))
            for name in REGISTER_FIELDS]


def evidence_rows(evidence: dict[str, Any]) -> list[tuple[str, str]]:
    """A finding's evidence as (label, text) lines in the rule's order.

    The box is left out: it locates the value on the image and means nothing as text.
    """
    rows = []
    for key, value in evidence.items():
        if key == "box" or value in (None, "", []):
            continue
        text = ", ".join(map(str, value)) if isinstance(value, list | tuple) else str(value)
        if key == "field":
            text = FIELD_LABELS.get(text, (text,))[0]
        rows.append((key.replace("_", " ").capitalize(), text))
    return rows


def explain(result: dict[str, Any]) -> str:
    """One line under the verdict: the most serious finding, or what the verdict means."""
    for severity in ("error", "warning"):
        for finding in result["findings"]:
            if finding["severity"] == severity:
                return finding["message"]
    return VERDICT_EXPLANATIONS[result["verdict"]]
