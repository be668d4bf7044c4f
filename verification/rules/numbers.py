"""Number rules: the kind's number pattern, the GB 11643 ID number and what it implies."""

from __future__ import annotations

import re
from statistics import median
from typing import NamedTuple

from stdnum import numdb
from stdnum.cn import ric
from stdnum.exceptions import ValidationError

from ocr.normalise import normalise_code
from verification.findings import Finding, Severity, finding
from verification.reading import CardReading, CheckContext, box_of, id_number_of, trusted_date, trusted_value

MIN_AGE_AT_FIRST_ISSUE = 18
ID_FORM = re.compile(r"\d{17}[\dX]")
"""GB 11643's form: what an ID number read otherwise is (NUMBER_INVALID) and what the rules reading
its birth date and sex digit require."""
ODD_GLYPH = 0.1
"""A digit printed this many text heights wider or narrower than the median of the same digit elsewhere
in its code is another character. On the dev cards the most a genuine digit departed was 0.063 (8,697
digits with two more of their kind in codes cut on 972 genuine cards: scan, phone and low-resolution,
and scan and phone again after JPEG q25, blur, shadow, dimming and warm light), and the two prints of
a digit printed twice lay at most 0.063 apart (4,020 such pairs on those cards); an O typed for 0
departed 0.10–0.19 and an I for 1 up to 0.31, in faces that print them apart. Of 240 dev cards with a
typing slip in the number, 224 were caught; of the 16 lookalike letters missed, 6 could not be cut,
one had no other print of its digit, and 9 were printed within 0.1 of their digit's others (0.073 at
most from a median: a monospaced O is as wide as its 0, a serif I about as wide as its 1)."""
FIELD_NAMES = {"number": "证号", "id_number": "ID number"}
"""How a code's finding names it."""
MIN_SAME = 2
"""The same digit printed at least this many other times in the code shows which print is odd; a digit
printed twice, unlike itself, shows only that one of the two is."""


def check_number_pattern(reading: CardReading, context: CheckContext) -> list[Finding]:
    number = trusted_value(reading, "number", context)
    if context.kind is None or number is None:
        return []
    if not context.kind.number_pattern.fullmatch(number):
        return [finding(
            "NUMBER_INVALID", f"证号 does not have the form of a {context.kind.name} number.",
            field="number", read=number, expected=context.kind.number_pattern.pattern, box=box_of(reading, "number"),
        )]
    printed = normalise_code(reading.fields.fields["number"].raw, repair_lookalikes=False)
    lettered = lettered_digits(printed, number)
    if not lettered:
        return []
    return [finding(
        "NUMBER_INVALID", f"证号 was read with the letter(s) {', '.join(lettered)} where "
        "its form has digits: a typing slip on a forged card, or a misread; compare the card by eye.",
        severity=Severity.WARNING, field="number", read=printed, expected=number, box=box_of(reading, "number"),
    )]


def check_glyph_widths(reading: CardReading, context: CheckContext) -> list[Finding]:
    """A digit of a code printed unlike the same digit elsewhere in it (`ocr.forensics`
    `FieldTraces.glyphs`): one typeface prints a digit alike every time, so an odd one is another
    character the reader took for it, such as the letter O typed for 0, or I for 1."""
    findings = []
    for traces in reading.traces:
        value = trusted_value(reading, traces.field, context)
        if not traces.glyphs or value is None:
            continue
        name = FIELD_NAMES[traces.field]
        for odd in odd_glyphs(traces.glyphs, start=len(value) - len(traces.glyphs)):
            if odd.usual is None:
                (first, second), (one, other) = odd.places, odd.widths
                message = (f"Characters {first} and {second} of the {name} both read {odd.char}, but they are "
                           f"printed {one:.2f} and {other:.2f} text heights wide: one is a letter typed for the "
                           "digit on a forged card? Compare the card by eye.")
                expected = f"characters {first} and {second} as wide as each other"
            else:
                [place], [width] = odd.places, odd.widths
                message = (f"Character {place} of the {name} reads {odd.char}, but it is printed "
                           f"{'wider' if width > odd.usual else 'narrower'} than its other {odd.char}s "
                           f"({width:.2f} against {odd.usual:.2f} text heights): a letter typed for the digit "
                           "on a forged card? Compare the card by eye.")
                expected = f"character {place} as wide as the other {odd.char}s"
            findings.append(finding("NUMBER_INVALID", message, severity=Severity.WARNING, field=traces.field,
                                    read=value, expected=expected, box=traces.box.as_list()))
    return findings


class OddGlyph(NamedTuple):
    """A digit of a code printed unlike the same digit elsewhere in it (`odd_glyphs`)."""

    places: tuple[int, ...]
    """In the value, counted from 1: one odd digit, or the two of a pair printed unlike each other."""
    char: str
    widths: tuple[float, ...]
    """Each place's width, in text heights."""
    usual: float | None
    """The same digit's median width elsewhere in the code; None for a pair (which is odd cannot be told)."""


def odd_glyphs(glyphs: tuple[tuple[str, float], ...], start: int = 0) -> list[OddGlyph]:
    """The digits whose width departs ODD_GLYPH or more from the median of the same digit's other
    widths (at least MIN_SAME of them), and the pairs of a digit printed only twice whose widths
    lie ODD_GLYPH or more apart; places count from 1, the first glyph's being `start` + 1."""
    odd = []
    for char in sorted({c for c, _ in glyphs if c.isdigit()}):
        at = [i for i, (c, _) in enumerate(glyphs) if c == char]
        widths = [glyphs[i][1] for i in at]
        if len(at) == 2 and abs(widths[0] - widths[1]) >= ODD_GLYPH:
            odd.append(OddGlyph((start + at[0] + 1, start + at[1] + 1), char, tuple(widths), None))
        for i, width in zip(at, widths, strict=True):
            same = [w for j, w in zip(at, widths, strict=True) if j != i]
            if len(same) >= MIN_SAME and abs(width - median(same)) >= ODD_GLYPH:
                odd.append(OddGlyph((start + i + 1,), char, (width,), median(same)))
    return sorted(odd, key=lambda o: o.places)


def lettered_digits(printed: str, number: str) -> list[str]:
    """The ASCII letters of the number as read that the reader took for digits to fit the kind's
    form (O for 0, Z for 2). A forger's typed slip reads so; on the dev cards' 750 genuine numbers,
    every capture and damage included, the reader never needed it."""
    if len(printed) != len(number):
        return []
    return [read for read, taken in zip(printed, number, strict=True)
            if read != taken and read.isascii() and read.isalpha() and taken.isdigit()]


def id_number_problem(id_number: str) -> tuple[str, str] | None:
    """GB 11643 checks as (code, reason): structure, birth date, province, then the check digit.

    `ric.validate` is not used whole: it also requires the county code to have existed in the birth
    year, which rejects genuine IDs issued later to people born before their county's code existed
    (e.g. 510602197603143578, from a real card).
    """
    if not ID_FORM.fullmatch(id_number):
        return "NUMBER_INVALID", "it is not 17 digits and a check character"
    try:
        born = ric.get_birth_date(id_number)
    except ValidationError:
        return "NUMBER_INVALID", "its digits 7–14 are not a birth date"
    if born.year < 1900:
        return "NUMBER_INVALID", "its birth date is before 1900"
    if not any("province" in props for _, props in numdb.get("cn/loc").info(id_number[:6])):
        return "NUMBER_INVALID", "its first two digits are not a province code"
    if id_number[-1] != ric.calc_check_digit(id_number):
        return "NUMBER_CHECKSUM", "its check digit is wrong (GB 11643, ISO 7064 MOD 11-2)"
    return None


def check_id_number(reading: CardReading, context: CheckContext) -> list[Finding]:
    id_number = id_number_of(reading, context)
    problem = id_number_problem(id_number) if id_number else None
    if problem is None:
        return []
    code, reason = problem
    field = "number" if context.kind and context.kind.embeds_id_number else "id_number"
    expected = (ric.calc_check_digit(id_number) if code == "NUMBER_CHECKSUM"
                else "6-digit region + YYYYMMDD birth date + 3-digit sequence + check character")
    return [finding(code, f"The ID number is not valid: {reason}.", field=field, read=id_number,
                    expected=expected, box=box_of(reading, field))]


def check_sex_parity(reading: CardReading, context: CheckContext) -> list[Finding]:
    """Digit 17 of the ID number is odd for men and even for women."""
    id_number = id_number_of(reading, context)
    sex = trusted_value(reading, "sex", context)
    if id_number is None or sex not in ("男", "女") or not ID_FORM.fullmatch(id_number):
        return []
    implied = "男" if int(id_number[16]) % 2 else "女"
    if implied == sex:
        return []
    return [finding("SEX_MISMATCH", f"性别 reads {sex}, but the ID number's digit 17 implies {implied}.",
                    field="sex", read=sex, expected=implied, box=box_of(reading, "sex"))]


def check_age_at_first_issue(reading: CardReading, context: CheckContext) -> list[Finding]:
    """Operators must be adults: the birth date in the ID must be 18+ years before first issue."""
    id_number = id_number_of(reading, context)
    issued = trusted_date(reading, "first_issued", context) or trusted_date(reading, "valid_from", context)
    if id_number is None or issued is None or not ID_FORM.fullmatch(id_number):
        return []
    try:
        born = ric.get_birth_date(id_number)
    except ValidationError:
        return []
    age = issued.year - born.year - ((issued.month, issued.day) < (born.month, born.day))
    if age >= MIN_AGE_AT_FIRST_ISSUE:
        return []
    return [finding("NUMBER_INVALID", f"The holder was {age} when the certificate was first issued.",
                    field="first_issued", read=issued.isoformat(), expected=f"holder aged {MIN_AGE_AT_FIRST_ISSUE}+",
                    box=box_of(reading, "first_issued"))]


def check_number_parts(reading: CardReading, context: CheckContext) -> list[Finding]:
    """Parts named in the kind's number pattern: issuing province and year of issue."""
    kind, number = context.kind, trusted_value(reading, "number", context)
    match = kind.number_pattern.fullmatch(number) if kind and number else None
    if match is None:
        return []
    parts = match.groupdict()
    findings = []
    province = parts.get("province")
    if province and kind.provinces and province not in kind.provinces:
        findings.append(finding(
            "NUMBER_INVALID", f"证号 starts with {province}, which is not a province abbreviation.",
            field="number", read=number, expected="one of " + "".join(kind.provinces), box=box_of(reading, "number"),
        ))
    year, first_issued = parts.get("year"), trusted_date(reading, "first_issued", context)
    if year and first_issued and int(year) != first_issued.year:
        findings.append(finding(
            "NUMBER_INVALID", f"证号 says it was issued in {year}, but 初次领证日期 is {first_issued.isoformat()}.",
            field="number", read=number, expected=str(first_issued.year), box=box_of(reading, "number"),
        ))
    if year and int(year) > context.as_of.year:
        findings.append(finding("NUMBER_INVALID", f"证号 claims a year of issue ({year}) in the future.",
                                field="number", read=number, expected=f"≤ {context.as_of.year}"))
    return findings
