"""Stage 4a: printed values → canonical values (ISO dates, 男/女, compact codes).

Pure string functions, each returning None when the text does not hold a value of that shape:
a wrong guess would be judged by the rules as if it had been printed, a None is reported as
unreadable. OCR letter/digit confusions are only repaired where the position must be a digit.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from stdnum.cn import ric

# Letters OCR engines produce for digits. Applied only between digits, or next to a digit with no
# other letter beside it, so codes such as "Q2", "S1" or "TS21…" keep their letters.
DIGIT_LOOKALIKES = {"O": "0", "o": "0", "D": "0", "I": "1", "l": "1", "|": "1", "i": "1", "!": "1"}
CODE_DEBRIS = ":;,.'\"`“”‘’()[]{}<>"
"""Punctuation at either end of a code: ruling lines, quotes and brackets read with it (a bracket of the
label's "（" opened a genuine ID as "(530102…"); numbers and codes are letters and digits."""
# Dashes and tildes of every width, and the ideographic full stop, as they appear between date parts.
_DASHES = str.maketrans({"—": "-", "–": "-", "－": "-", "~": "-", "～": "-", "〜": "-", "_": "-", "。": "."})

_DATE = re.compile(
    r"(?<!\d)((?:19|20)\d{2})\s*[-./年]\s*(\d{1,2})\s*[-./月]\s*(\d{1,2})(?!\d)\s*日?"
    r"|(?<!\d)((?:19|20)\d{2})\s*[-./年]?\s*(\d{2})\s*[-./月]?\s*(\d{2})(?!\d)"
)
_RANGE_SEPARATOR = re.compile(r"[至到-]")
_ID_NUMBER = re.compile(r"\d{17}[\dX]")


def to_half_width(text: str) -> str:
    """NFKC: full-width letters, digits and punctuation to ASCII, ideographic space to space.

    Safe for card text: NFKC leaves ideographs unchanged apart from folding compatibility
    ideographs to their unified form, which is what a catalogue comparison wants anyway.
    """
    return unicodedata.normalize("NFKC", text)


def fix_digit_lookalikes(text: str) -> str:
    """Replace letters that OCR confuses with digits where the neighbours show a digit belongs."""
    chars = list(text)
    for i, char in enumerate(chars):
        if char not in DIGIT_LOOKALIKES:
            continue
        before = chars[i - 1] if i > 0 else ""
        after = chars[i + 1] if i + 1 < len(chars) else ""
        if _digit_position(before, after):
            chars[i] = DIGIT_LOOKALIKES[char]
    return "".join(chars)


def _digit_position(before: str, after: str) -> bool:
    """A lookalike is a digit when a digit touches it and no latin letter does (CJK such as 年 is fine)."""
    touches_digit = before.isdigit() or after.isdigit()
    touches_letter = any(c.isascii() and c.isalpha() and c not in DIGIT_LOOKALIKES for c in (before, after))
    return touches_digit and not touches_letter


def _clean_for_dates(text: str) -> str:
    return fix_digit_lookalikes(to_half_width(text).translate(_DASHES))


def _iso(year: str, month: str, day: str) -> str | None:
    try:
        return date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return None


def date_parts(match: re.Match[str]) -> tuple[str, str, str]:
    """(year, month, day) as printed, from whichever of `_DATE`'s two forms matched."""
    year, month, day = match.groups()[:3] if match.group(1) else match.groups()[3:]
    return year, month, day


DateSpan = tuple[str, int, int]
"""(ISO date, start, end) of a date found in a text."""


def date_spans(text: str) -> list[DateSpan]:
    """Every valid calendar date in `text`, in order, with its position.

    Positions index `text` itself when it is already half-width (the cleaning below then keeps
    every character in place), which is how the field reader passes it.
    """
    found = []
    for match in _DATE.finditer(_clean_for_dates(text)):
        iso = _iso(*date_parts(match))
        if iso:
            found.append((iso, match.start(), match.end()))
    return found


def find_dates(text: str) -> list[str]:
    """Every valid calendar date in `text`, in order, as ISO strings.

    Accepts 2019-07-25, 2019.07.25, 2019/7/25, 2019年7月25日, 20190725, with spaces around the
    separators; impossible dates (2019-02-30) are skipped rather than guessed.
    """
    return [iso for iso, _, _ in date_spans(text)]


def impossible_dates(text: str) -> list[str]:
    """Dates printed in `text` that are no calendar day (2026-69-07, 2028-02-41), as YYYY-MM-DD: a
    digit misread, which the kind's validity span may tell (`ocr.fields.ends_from_span`)."""
    found = []
    for match in _DATE.finditer(_clean_for_dates(text)):
        year, month, day = date_parts(match)
        if _iso(year, month, day) is None:
            found.append(f"{year}-{int(month):02d}-{int(day):02d}")
    return found


def add_years(day: date, years: int) -> date:
    """The same calendar day `years` later (or earlier); 29 February falls back to the 28th."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def normalise_date(text: str) -> str | None:
    """The single date printed in `text` as ISO 8601, or None when there is none or more than one."""
    dates = find_dates(text)
    return dates[0] if len(dates) == 1 else None


def range_ends(text: str) -> tuple[DateSpan | None, DateSpan | None]:
    """The start and end of a validity range such as "2019-07-25 至 2025-07-24",
    "2019.07.25-2025.07.24" or "自2019年07月25日至2025年07月24日".

    When only one end is readable, the range separator (至, 到, a dash or tilde) says which end it
    is; without one, neither is given rather than a guess.
    """
    found = date_spans(text)
    if len(found) >= 2:
        return found[0], found[1]
    if len(found) == 1:
        cleaned = _clean_for_dates(text)
        _, start, end = found[0]
        if _RANGE_SEPARATOR.search(cleaned[end:]):
            return found[0], None
        if _RANGE_SEPARATOR.search(cleaned[:start]):
            return None, found[0]
    return None, None


def normalise_date_range(text: str) -> tuple[str | None, str | None]:
    """(from, until) as ISO dates of a printed validity range (see `range_ends`)."""
    start, end = range_ends(text)
    return (start[0] if start else None), (end[0] if end else None)


def normalise_sex(text: str) -> str | None:
    """男 or 女 from "男", "男性", "性别：女"…; None when neither or both appear."""
    text = to_half_width(text).replace("性别", "")
    male, female = "男" in text, "女" in text
    if male == female:
        return None
    return "男" if male else "女"


def normalise_code(text: str, *, repair_lookalikes: bool = True) -> str:
    """A number or code as printed, compacted: no spaces, ASCII, digit lookalikes repaired between
    digits (unless `repair_lookalikes` is off), and a final x or × (the GB 11643 check character)
    upper-cased to X."""
    compact = re.sub(r"\s+", "", to_half_width(text)).strip(CODE_DEBRIS)
    if repair_lookalikes:
        compact = fix_digit_lookalikes(compact)
    if len(compact) > 1 and compact[-1] in "x×" and compact[-2].isdigit():
        compact = compact[:-1] + "X"
    return compact


def normalise_text(text: str) -> str:
    """Free text (names, authorities, categories): half-width, no spaces between CJK characters,
    leading separators and quotes OCR picks up from ruling lines removed, and a bracket at either
    end that closes nothing (a border's corner read as "(" before 江西省…)."""
    text = to_half_width(text).strip()
    text = re.sub(r"(?<=[^\x00-\x7f])\s+(?=[^\x00-\x7f])", "", text)
    text = text.strip(" :;,.|'\"`“”‘’-_").strip()
    if text.startswith("(") and ")" not in text:
        text = text[1:].strip()
    if text.endswith(")") and "(" not in text:
        text = text[:-1].strip()
    return text


def id_check_digit_ok(number: str) -> bool:
    """True for 17 digits and a check character that satisfies GB 11643 (ISO 7064 MOD 11-2).

    Only the checksum: the birth date and region are judged by the verification rules, which need
    the reading as printed.
    """
    return bool(_ID_NUMBER.fullmatch(number)) and ric.calc_check_digit(number) == number[-1]
