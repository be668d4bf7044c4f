"""Property tests: every kind's number pattern, and what the number rules make of any number.

Parametrised over every kind file (the built-in ones and those in tests/fixtures/kinds), so a
province's new kind is covered without a change here. A card is drawn consistent with its kind
(catalogue row, dates, an ID with a valid check digit and the holder 18+ at first issue, the number
built from the pattern's named groups); each property then changes one thing and asserts the exact
findings that change produces. The consistent card itself raises no finding at all, so every finding
seen after a change is caused by that change.
"""

from __future__ import annotations

import random
import string
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from helpers import AS_OF, GENUINE, context, make_reading
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from stdnum.cn import ric

from samples.patterns import replace_group, sample_group, sample_match
from samples.values import PROVINCES, shares_label
from verification.kinds import Kind, load_kinds
from verification.reading import CheckContext
from verification.rules.dates import add_years
from verification.verify import verify

FIXTURE_KINDS = Path(__file__).parents[1] / "fixtures" / "kinds"
KINDS = load_kinds(FIXTURE_KINDS)  # every built-in kind file, plus the fixture kinds
REGIONS = sorted({code for province in PROVINCES for _, code in province.cities})

FAST = settings(max_examples=40, deadline=None, database=None)


def kinds_where(test) -> list[str]:
    return sorted(kind_id for kind_id, kind in KINDS.items() if test(kind))


def has_group(name: str):
    return lambda kind: name in kind.number_pattern.groupindex


def has_id(kind: Kind) -> bool:
    """The card carries the holder's ID: embedded in the number, or printed as its own field."""
    if kind.embeds_id_number:
        return "id_number" in kind.number_pattern.groupindex
    return "id_number" in kind.data["fields"]


def check_of(kind: Kind) -> CheckContext:
    # helpers.context looks a kind up among the built-ins; fixture kinds are put in by hand.
    return replace(context(None), kind=kind)


def id_with_check_digit(body17: str) -> str:
    return body17 + ric.calc_check_digit(body17 + "0")


def number_forms(kind: Kind, id_number: str) -> list[str]:
    """Every form the kind's pattern gives a number embedding `id_number` (e.g. with and without `T`)."""
    return sorted({sample_match(kind.number_pattern, random.Random(seed), {"id_number": id_number})
                   for seed in range(16)})


class Card:
    """A consistent card of one kind, as hand-built readings; `with_` changes fields, keeping the QR true."""

    def __init__(self, kind: Kind, fields: dict[str, str], id_number: str):
        self.kind, self.fields, self.id_number = kind, fields, id_number

    @property
    def number(self) -> str:
        return self.fields["number"]

    def with_(self, **changes: str) -> Card:
        return Card(self.kind, {**self.fields, **changes}, self.id_number)

    def with_id(self, id_number: str) -> Card:
        """The card with another holder ID, wherever the kind carries it."""
        if self.kind.embeds_id_number:
            number = replace_group(self.kind.number_pattern, self.number, "id_number", id_number)
            return Card(self.kind, {**self.fields, "number": number}, id_number)
        return Card(self.kind, {**self.fields, "id_number": id_number}, id_number)

    def findings(self):
        url = self.kind.sample_qr_url
        qr = [url.format(number=self.number)] if url else None
        return verify(make_reading(self.kind.id, self.fields, qr=qr), check_of(self.kind)).findings

    def codes(self) -> set[str]:
        return {f.code for f in self.findings()}


@st.composite
def cards(draw, kind: Kind) -> Card:
    """A card of `kind` that every rule accepts, its holder born at least 18 years before first issue."""
    pattern = kind.number_pattern
    rows = [row for row in kind.catalogue if row.category_code or "category_code" not in pattern.groupindex]
    row = draw(st.sampled_from(rows))
    valid_from = draw(st.dates(add_years(AS_OF, -kind.validity_years) + timedelta(days=1), AS_OF))
    if shares_label(kind, "first_issued", "valid_from"):
        first_issued = valid_from
    else:
        first_issued = draw(st.dates(date(1990, 1, 1), valid_from))
    birth = draw(st.dates(date(1930, 1, 1), add_years(first_issued, -18)))
    sex = draw(st.sampled_from("男女"))
    sequence = draw(st.integers(0, 499)) * 2 + (sex == "男")
    id_number = id_with_check_digit(f"{draw(st.sampled_from(REGIONS))}{birth:%Y%m%d}{sequence:03d}")
    groups = {"id_number": id_number, "year": str(first_issued.year), "category_code": row.category_code}
    if "province" in pattern.groupindex and kind.provinces:
        groups["province"] = draw(st.sampled_from(sorted(kind.provinces)))
    number = sample_match(pattern, draw(st.randoms(use_true_random=False)),
                          {name: value for name, value in groups.items() if value is not None})
    known = GENUINE.get(kind.id, {})
    fields = {
        "number": number, "name": known.get("name", "张三"), "sex": sex, "category": row.category,
        "first_issued": first_issued.isoformat(), "valid_from": valid_from.isoformat(),
        "valid_until": add_years(valid_from, kind.validity_years).isoformat(),
        "authority": known.get("authority", kind.data.get("agency", kind.name)),
    }
    if row.item:
        fields["item"] = row.item
    if not kind.embeds_id_number and "id_number" in kind.data["fields"]:
        fields["id_number"] = id_number
    return Card(kind, fields, id_number)


def number_invalid_on_number(card: Card) -> bool:
    return any(f.code == "NUMBER_INVALID" and f.evidence.get("field") == "number" for f in card.findings())


# 1. A number built to the pattern, on an otherwise genuine card, raises nothing.

@pytest.mark.parametrize("kind_id", sorted(KINDS))
@FAST
@given(data=st.data())
def test_a_number_built_to_the_pattern_passes_every_rule(kind_id, data):
    card = data.draw(cards(KINDS[kind_id]))
    assert KINDS[kind_id].number_pattern.fullmatch(card.number)
    assert card.findings() == []


# 2. A single-character edit that leaves the pattern is NUMBER_INVALID.

STRAY_CHARACTERS = st.one_of(
    st.sampled_from(string.digits + string.ascii_uppercase),
    st.sampled_from(string.ascii_lowercase),
    st.characters(min_codepoint=0xFF01, max_codepoint=0xFF5E),  # full-width ASCII: ０-９, Ａ-Ｚ, ａ-ｚ, ．…
    st.sampled_from("\u3000 \t-_./·:：,，、×*#"),
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5),  # ideographs, as a province abbreviation is
    st.characters(),
)
EDITS = st.tuples(st.sampled_from(["delete", "duplicate", "replace", "insert"]), st.integers(0, 99), STRAY_CHARACTERS)


def edited(number: str, edit: tuple[str, int, str]) -> str:
    how, at, char = edit
    if how == "insert":
        at %= len(number) + 1
        return number[:at] + char + number[at:]
    at %= len(number)
    if how == "delete":
        return number[:at] + number[at + 1:]
    if how == "duplicate":
        return number[:at] + number[at] + number[at:]
    return number[:at] + char + number[at + 1:]


@pytest.mark.parametrize("kind_id", sorted(KINDS))
@FAST
@given(data=st.data())
def test_a_single_character_edit_out_of_the_pattern_is_number_invalid(kind_id, data):
    kind = KINDS[kind_id]
    card = data.draw(cards(kind))
    number = edited(card.number, data.draw(EDITS))
    assume(not kind.number_pattern.fullmatch(number))
    assert number_invalid_on_number(card.with_(number=number))


@pytest.mark.parametrize("kind_id", sorted(KINDS))
@FAST
@given(data=st.data())
def test_a_line_break_appended_to_the_number_is_number_invalid(kind_id, data):
    card = data.draw(cards(KINDS[kind_id]))
    assert number_invalid_on_number(card.with_(number=card.number + "\n"))


@pytest.mark.parametrize("kind_id", sorted(KINDS))
@FAST
@given(data=st.data())
def test_a_non_ascii_digit_for_a_digit_is_number_invalid(kind_id, data):
    card = data.draw(cards(KINDS[kind_id]))
    at = data.draw(st.sampled_from([i for i, c in enumerate(card.number) if c in string.digits]))
    other_digits = st.characters(categories=["Nd"]).filter(lambda c: c not in string.digits)
    digit = data.draw(st.one_of(st.sampled_from("０１２３４５６７８９"), other_digits))  # full-width first
    assert number_invalid_on_number(card.with_(number=card.number[:at] + digit + card.number[at + 1:]))


# 3. The GB 11643 check digit, for any ID the card carries (in its number or printed on its own).

@pytest.mark.parametrize("kind_id", kinds_where(has_id))
@FAST
@given(data=st.data())
def test_any_other_check_digit_is_number_checksum(kind_id, data):
    card = data.draw(cards(KINDS[kind_id]))
    right = card.id_number[-1]
    wrong = data.draw(st.sampled_from([c for c in "0123456789X" if c != right]))
    findings = card.with_id(card.id_number[:17] + wrong).findings()
    assert [(f.code, f.evidence.get("expected")) for f in findings] == [("NUMBER_CHECKSUM", right)]


PREFIXED_KINDS = kinds_where(lambda kind: has_id(kind) and kind.embeds_id_number
                             and len(number_forms(kind, "11010519491231002X")) > 1)


def test_the_id_embedding_kinds_with_an_optional_prefix_include_special_operation():
    assert "special_operation" in PREFIXED_KINDS
    assert number_forms(KINDS["special_operation"], "11010519491231002X") == [
        "11010519491231002X", "T11010519491231002X"]


@pytest.mark.parametrize("kind_id", PREFIXED_KINDS)
@FAST
@given(data=st.data(), check_digit_right=st.booleans())
def test_with_or_without_the_prefix_a_number_is_judged_alike(kind_id, data, check_digit_right):
    kind = KINDS[kind_id]
    card = data.draw(cards(kind))
    id_number = card.id_number
    if not check_digit_right:
        id_number = id_number[:17] + data.draw(st.sampled_from([c for c in "0123456789X" if c != id_number[-1]]))
    judged = [card.with_(number=form).codes() for form in number_forms(kind, id_number)]
    assert judged == [set() if check_digit_right else {"NUMBER_CHECKSUM"}] * len(judged)


# 4. Named parts of the number: province (check_number_parts), year of issue (check_number_parts) and
#    category code (check_number_category_code).

NOT_ABBREVIATIONS = st.one_of(st.sampled_from("港澳台中国省市建安特"),
                              st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5))


@pytest.mark.parametrize("kind_id", kinds_where(lambda kind: has_group("province")(kind) and kind.provinces))
@FAST
@given(data=st.data(), province=NOT_ABBREVIATIONS)
def test_a_province_not_among_the_kinds_provinces_is_number_invalid(kind_id, data, province):
    kind = KINDS[kind_id]
    card = data.draw(cards(kind))
    assume(province not in kind.provinces)
    number = replace_group(kind.number_pattern, card.number, "province", province)
    assume(kind.number_pattern.fullmatch(number))
    findings = card.with_(number=number).findings()
    assert [(f.code, f.evidence["field"]) for f in findings] == [("NUMBER_INVALID", "number")]


@pytest.mark.parametrize("kind_id", kinds_where(lambda kind: has_group("province")(kind) and kind.provinces))
@FAST
@given(data=st.data())
def test_any_of_the_kinds_provinces_passes(kind_id, data):
    kind = KINDS[kind_id]
    card = data.draw(cards(kind))
    province = data.draw(st.sampled_from(sorted(kind.provinces)))
    assert card.with_(number=replace_group(kind.number_pattern, card.number, "province", province)).codes() == set()


@pytest.mark.parametrize("kind_id", kinds_where(has_group("year")))
@FAST
@given(data=st.data(), year=st.integers(1900, 2099))
def test_a_year_other_than_the_first_issue_year_is_number_invalid(kind_id, data, year):
    kind = KINDS[kind_id]
    card = data.draw(cards(kind))
    issued = date.fromisoformat(card.fields["first_issued"]).year
    assume(year != issued)
    findings = card.with_(number=replace_group(kind.number_pattern, card.number, "year", str(year))).findings()
    expected = [("NUMBER_INVALID", str(issued))]
    if year > AS_OF.year:
        expected.append(("NUMBER_INVALID", f"≤ {AS_OF.year}"))
    assert [(f.code, f.evidence.get("expected")) for f in findings] == expected


@pytest.mark.parametrize("kind_id", kinds_where(has_group("year")))
@FAST
@given(data=st.data())
def test_a_first_issue_date_in_another_year_than_the_number_is_number_invalid(kind_id, data):
    kind = KINDS[kind_id]
    card = data.draw(cards(kind))
    number_year = int(kind.number_pattern.fullmatch(card.number).group("year"))
    valid_from = date.fromisoformat(card.fields["valid_from"])
    born = ric.get_birth_date(card.id_number)
    # any date after the holder's 18th birthday and not after the validity period starts, in another year
    first = data.draw(st.dates(max(add_years(born, 18), date(1900, 1, 1)), valid_from))
    assume(first.year != number_year)
    findings = card.with_(first_issued=first.isoformat()).findings()
    assert [(f.code, f.evidence.get("expected")) for f in findings] == [("NUMBER_INVALID", str(first.year))]


@pytest.mark.parametrize("kind_id", kinds_where(has_group("category_code")))
@FAST
@given(data=st.data())
def test_a_category_code_other_than_the_printed_categorys_is_category_mismatch(kind_id, data):
    kind = KINDS[kind_id]
    card = data.draw(cards(kind))
    printed = next(row for row in kind.catalogue if row.category == card.fields["category"])
    from_catalogue = st.sampled_from([row.category_code for row in kind.catalogue if row.category_code])
    from_pattern = st.randoms(use_true_random=False).map(
        lambda rng: sample_group(kind.number_pattern, "category_code", rng))
    code = data.draw(st.one_of(from_catalogue, from_pattern))
    assume(code != printed.category_code)
    findings = card.with_(number=replace_group(kind.number_pattern, card.number, "category_code", code)).findings()
    named = [row.category for row in kind.catalogue if row.category_code == code]
    assert [(f.code, f.evidence.get("expected")) for f in findings] == [
        ("CATEGORY_MISMATCH", named[0] if named else f"a category with code {code}")]


@pytest.mark.parametrize("kind_id", kinds_where(has_group("category_code")))
@FAST
@given(data=st.data())
def test_a_printed_category_other_than_the_numbers_is_category_mismatch(kind_id, data):
    kind = KINDS[kind_id]
    card = data.draw(cards(kind))
    code = kind.number_pattern.fullmatch(card.number).group("category_code")
    other = data.draw(st.sampled_from([row.category for row in kind.catalogue if row.category_code != code]))
    findings = card.with_(category=other).findings()
    assert [(f.code, f.evidence.get("field")) for f in findings] == [("CATEGORY_MISMATCH", "category")]


# 5. Sex parity (digit 17 of the ID), and the holder's age at first issue, for any ID.

@pytest.mark.parametrize("kind_id", kinds_where(has_id))
@FAST
@given(data=st.data())
def test_a_printed_sex_against_digit_17_is_sex_mismatch(kind_id, data):
    card = data.draw(cards(KINDS[kind_id]))
    other = "女" if card.fields["sex"] == "男" else "男"
    findings = card.with_(sex=other).findings()
    assert [(f.code, f.evidence.get("expected")) for f in findings] == [("SEX_MISMATCH", card.fields["sex"])]


@pytest.mark.parametrize("kind_id", kinds_where(has_id))
@FAST
@given(data=st.data(), digit=st.sampled_from(string.digits))
def test_digit_17_decides_the_sex(kind_id, data, digit):
    card = data.draw(cards(KINDS[kind_id]))
    changed = card.with_id(id_with_check_digit(card.id_number[:16] + digit))
    agrees = (int(digit) % 2 == 1) == (card.fields["sex"] == "男")
    assert changed.codes() == (set() if agrees else {"SEX_MISMATCH"})


@pytest.mark.parametrize("kind_id", kinds_where(has_id))
@FAST
@given(data=st.data())
def test_a_holder_under_18_at_first_issue_is_number_invalid(kind_id, data):
    kind = KINDS[kind_id]
    card = data.draw(cards(kind))
    first = date.fromisoformat(card.fields["first_issued"])
    birth = data.draw(st.dates(add_years(first, -18) + timedelta(days=1), first))
    changed = card.with_id(id_with_check_digit(f"{card.id_number[:6]}{birth:%Y%m%d}{card.id_number[14:17]}"))
    findings = changed.findings()
    assert [(f.code, f.evidence.get("field")) for f in findings] == [("NUMBER_INVALID", "first_issued")]
