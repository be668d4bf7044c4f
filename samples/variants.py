"""Genuine cards and one forgery per finding code, as plans the generator renders.

A `CardPlan` says what to print, how the QR reads, which retouch to apply after printing, what the
issuer's register holds for the card and which finding codes a checker should raise. A forgery takes
the genuine plan and breaks exactly one fact, keeping the rest consistent (the QR follows the printed
number, the register holds what is printed), so each variant isolates its own code.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from urllib.parse import quote, urlsplit

import numpy as np
from PIL import Image, ImageDraw

from ocr.normalise import add_years
from ocr.types import Box
from samples import draw
from samples.fonts import font, pick_face
from samples.foreign import foreign_design
from samples.patterns import replace_group, sample_group
from samples.render import FORGED_LAYOUT, Design, Layout, RenderedCard
from samples.values import (
    CardValues,
    draw_other_name,
    draw_values,
    embedded_id,
    other_sex,
    wrong_check_digit,
)
from verification.findings import CATALOGUE
from verification.kinds import Kind

GENUINE = "genuine"
QR_ON_OPTIONAL_KINDS = 0.4  # share of genuine cards carrying a QR where the kind does not require one
UNOFFICIAL_HOSTS = ("zhengshu-chaxun.com", "cert365.top", "tzzy-query.cn", "anquan-peixun.net", "zs.cx-query.com")
LOOKALIKE_SUFFIXES = (".cert-check.net", ".verify-cx.com", ".cn-query.net")
HOMOGLYPHS = (("m", "rn"), ("l", "1"), ("o", "0"), ("i", "l"), ("w", "vv"), ("g", "q"), ("n", "m"))
UNKNOWN_CATEGORIES = ("电焊作业", "叉车驾驶作业", "高空作业", "电工证作业", "起重作业", "锅炉操作作业")
DIGIT_LOOKALIKES = {"0": "O", "1": "I", "5": "S", "8": "B"}  # letters a retyped number slips in
OBSCURABLE_FIELDS = ("name", "category", "item", "first_issued", "authority")

Retouch = Callable[[RenderedCard, "CardPlan", random.Random], tuple[str, ...]]


@dataclass(frozen=True)
class RegisterEntry:
    """The issuer's record of a certificate, as it appears in register.csv."""

    values: CardValues
    status: str = "valid"


@dataclass(frozen=True)
class CardPlan:
    """One image to produce: what it prints, how, and what checking it should find."""

    variant: str
    kind: Kind | None
    values: CardValues | None
    qr_template: str | None = None  # URL with a {number} slot; None prints no QR
    qr_number: str | None = None  # number in the QR when it differs from the printed one
    qr_damaged: bool = False
    layout: Layout | None = None
    retouch: Retouch | None = None
    register: RegisterEntry | None = None
    expected: tuple[str, ...] = ()
    design: Design | None = None  # a document that is no certificate (UNKNOWN_KIND)

    @property
    def qr_payload(self) -> str | None:
        if self.design is not None:
            return self.design.qr_payload
        if self.qr_template is None or self.values is None:
            return None
        return self.qr_template.format(number=quote(self.qr_number or self.values.number, safe=""))

    def with_values(self, values: CardValues) -> CardPlan:
        """The plan printing `values`, with the register following what is printed."""
        register = replace(self.register, values=values) if self.register else None
        return replace(self, values=values, register=register)


@dataclass(frozen=True)
class Forgery:
    """How to forge one finding code: on which kinds it is possible, and the plans it yields."""

    code: str
    applies: Callable[[Kind], bool]
    forge: Callable[[CardPlan, random.Random, date], list[CardPlan]]


def qr_template(kind: Kind) -> str | None:
    """The kind's query URL with a {number} slot, from its sample URL or its first official host."""
    if kind.sample_qr_url:
        return kind.sample_qr_url
    if kind.official_hosts:
        return f"https://{min(kind.official_hosts)}/query?certNum={{number}}"
    return None


def genuine_plan(kind: Kind, rng: random.Random, as_of: date) -> CardPlan:
    """A genuine card valid on `as_of`, in the register, with a QR where the kind has one."""
    values = draw_values(kind, rng, as_of)
    template = qr_template(kind)
    has_qr = template is not None and (kind.qr_required or rng.random() < QR_ON_OPTIONAL_KINDS)
    return CardPlan(GENUINE, kind, values, template if has_qr else None, register=RegisterEntry(values))


def plans_for(variant: str, kind: Kind, rng: random.Random, as_of: date) -> list[CardPlan]:
    """The plans for `variant` (genuine or a finding code) on `kind`: two for DUPLICATE_NUMBER, else one."""
    base = genuine_plan(kind, rng, as_of)
    if variant == GENUINE:
        return [base]
    return FORGERIES[variant].forge(replace(base, variant=variant, expected=(variant,)), rng, as_of)


# Forgeries, one per finding code -------------------------------------------------------------------


def has_id(kind: Kind) -> bool:
    return kind.embeds_id_number or "id_number" in kind.data["fields"]


def _number_invalid(plan: CardPlan, rng: random.Random, as_of: date) -> list[CardPlan]:
    kind, values = plan.kind, plan.values
    number = malformed(kind, values.number, rng)
    id_number = embedded_id(kind, number) if kind.embeds_id_number else values.id_number
    return [plan.with_values(replace(values, number=number, id_number=id_number))]


def malformed(kind: Kind, number: str, rng: random.Random) -> str:
    """The number with one typing slip that takes it out of the kind's pattern."""
    edits = [
        lambda s, i: s[:i] + s[i + 1 :],  # a character dropped
        lambda s, i: s[:i] + s[i] + s[i:],  # a character doubled
        lambda s, i: s[:i] + DIGIT_LOOKALIKES.get(s[i], "Z") + s[i + 1 :],  # a letter for a digit
        lambda s, i: s[:i] + s[i].lower() + s[i + 1 :],  # a capital typed in lower case
    ]
    for _ in range(100):
        candidate = rng.choice(edits)(number, rng.randrange(1, len(number)))
        if not kind.number_pattern.fullmatch(candidate):
            return candidate
    raise ValueError(f"cannot break {number!r} against {kind.number_pattern.pattern!r}")


def _number_checksum(plan: CardPlan, rng: random.Random, as_of: date) -> list[CardPlan]:
    values = plan.values
    bad_id = wrong_check_digit(values.id_number, rng)
    number = values.number.replace(values.id_number, bad_id) if plan.kind.embeds_id_number else values.number
    return [plan.with_values(replace(values, number=number, id_number=bad_id))]


def _sex_mismatch(plan: CardPlan, rng: random.Random, as_of: date) -> list[CardPlan]:
    return [plan.with_values(replace(plan.values, sex=other_sex(plan.values.sex)))]


def _expired(plan: CardPlan, rng: random.Random, as_of: date) -> list[CardPlan]:
    """A card whose last period ended before `as_of` (drawn as if checked one period and more ago)."""
    kind = plan.kind
    then = add_years(as_of, -kind.validity_years) - timedelta(days=rng.randint(30, 700))
    values = draw_values(kind, rng, then)
    return [plan.with_values(values)]


def _validity_span(plan: CardPlan, rng: random.Random, as_of: date) -> list[CardPlan]:
    """A longer span than the kind allows (the classic '十年有效' fake); still valid on `as_of`."""
    values = plan.values
    years = plan.kind.validity_years + rng.choice((1, 2, plan.kind.validity_years))
    return [plan.with_values(replace(values, valid_until=add_years(values.valid_from, years) - timedelta(days=1)))]


def _category_unknown(plan: CardPlan, rng: random.Random, as_of: date) -> list[CardPlan]:
    kind, values = plan.kind, plan.values
    known = {row.category for row in kind.catalogue} | {row.item for row in kind.catalogue if row.item}
    category = rng.choice([c for c in UNKNOWN_CATEGORIES if c not in known])
    number = values.number
    if "category_code" in kind.number_pattern.groupindex:
        number = replace_group(kind.number_pattern, number, "category_code", _unused_category_code(kind, rng))
    item = values.item and category.removesuffix("作业") + "操作"
    return [plan.with_values(replace(values, category=category, item=item, number=number))]


def _unused_category_code(kind: Kind, rng: random.Random) -> str:
    """A value the number's category_code group accepts that no catalogue category has."""
    used = {row.category_code for row in kind.catalogue}
    for _ in range(1000):
        code = sample_group(kind.number_pattern, "category_code", rng)
        if code not in used:
            return code
    raise ValueError(f"{kind.id}: every category code is in use")


def _category_mismatch(plan: CardPlan, rng: random.Random, as_of: date) -> list[CardPlan]:
    """An item of another category, or (kinds whose number encodes the category) a code of another one."""
    kind, values = plan.kind, plan.values
    if kind.has_items:
        other = rng.choice([row for row in kind.catalogue if row.item and row.category != values.category])
        printed_as_code = any(values.item == row.item_code for row in kind.catalogue)
        item = other.item_code if printed_as_code and other.item_code else other.item
        return [plan.with_values(replace(values, item=item))]
    own = next(row.category_code for row in kind.catalogue if row.category == values.category)
    code = rng.choice(sorted({row.category_code for row in kind.catalogue if row.category_code} - {own}))
    number = replace_group(kind.number_pattern, values.number, "category_code", code)
    return [plan.with_values(replace(values, number=number))]


def can_mismatch_category(kind: Kind) -> bool:
    if kind.has_items:
        return len({row.category for row in kind.catalogue if row.item}) >= 2
    codes = {row.category_code for row in kind.catalogue if row.category_code}
    return "category_code" in kind.number_pattern.groupindex and len(codes) >= 2


def _qr_missing(plan: CardPlan, rng: random.Random, as_of: date) -> list[CardPlan]:
    return [replace(plan, qr_template=None)]


def _qr_unreadable(plan: CardPlan, rng: random.Random, as_of: date) -> list[CardPlan]:
    return [replace(plan, qr_template=qr_template(plan.kind), qr_damaged=True)]


def _qr_unofficial_host(plan: CardPlan, rng: random.Random, as_of: date) -> list[CardPlan]:
    url = urlsplit(qr_template(plan.kind))
    return [replace(plan, qr_template=url._replace(scheme="http", netloc=rng.choice(UNOFFICIAL_HOSTS)).geturl())]


def _qr_lookalike_host(plan: CardPlan, rng: random.Random, as_of: date) -> list[CardPlan]:
    url = urlsplit(qr_template(plan.kind))
    host = lookalike_host(url.hostname or "", plan.kind.official_hosts, rng)
    return [replace(plan, qr_template=url._replace(netloc=host).geturl())]


def lookalike_host(host: str, official: frozenset[str], rng: random.Random) -> str:
    """A host that imitates `host`: a homoglyph swap, the real name as a subdomain, or dots turned dashes."""
    labels = host.split(".")
    candidates = [host + suffix for suffix in LOOKALIKE_SUFFIXES]
    candidates.append("-".join(labels[:-1]) + "." + labels[-1])
    for i, label in enumerate(labels[:-2] or labels[:1]):
        for real, fake in HOMOGLYPHS:
            if real in label:
                at = rng.choice([k for k in range(len(label)) if label.startswith(real, k)])
                swapped = label[:at] + fake + label[at + len(real) :]
                candidates.append(".".join(labels[:i] + [swapped] + labels[i + 1 :]))
    return rng.choice([c for c in candidates if c not in official])


def _qr_mismatch(plan: CardPlan, rng: random.Random, as_of: date) -> list[CardPlan]:
    """The QR carries the number of someone else's (genuine) certificate."""
    other = draw_values(plan.kind, rng, as_of).number
    return [replace(plan, qr_template=qr_template(plan.kind), qr_number=other)]


def _registry_not_found(plan: CardPlan, rng: random.Random, as_of: date) -> list[CardPlan]:
    return [replace(plan, register=None)]


def _registry_mismatch(plan: CardPlan, rng: random.Random, as_of: date) -> list[CardPlan]:
    """The register holds this number for another person (the forger reused a real number)."""
    values = plan.values
    recorded = replace(values, name=draw_other_name(rng, values.sex, values.name))
    return [replace(plan, register=RegisterEntry(recorded))]


def _registry_revoked(plan: CardPlan, rng: random.Random, as_of: date) -> list[CardPlan]:
    return [replace(plan, register=RegisterEntry(plan.values, "revoked"))]


def _duplicate_number(plan: CardPlan, rng: random.Random, as_of: date) -> list[CardPlan]:
    """Two cards with one number and different holders; the register knows the first holder only."""
    values = plan.values
    copy = replace(values, name=draw_other_name(rng, values.sex, values.name))
    second = replace(plan, values=copy, register=None, expected=("DUPLICATE_NUMBER", "REGISTRY_MISMATCH"))
    return [plan, second]


def _tampering(plan: CardPlan, rng: random.Random, as_of: date) -> list[CardPlan]:
    return [replace(plan, retouch=paste_number_patch)]


def paste_number_patch(card: RenderedCard, plan: CardPlan, rng: random.Random) -> tuple[str, ...]:
    """Cover the printed number with a pasted patch: flat paper of another tint and grain, the number
    retyped in another face and ink, slightly off the original line."""
    box = card.field_boxes["number"]
    pixels = np.asarray(card.image).copy()
    pad = max(4, box.h // 3)
    x0, y0 = max(0, box.x - pad), max(0, box.y - pad)
    x1, y1 = min(card.image.width, box.x + box.w + 2 * pad), min(card.image.height, box.y + box.h + pad)
    paper = np.median(pixels[y0:y1, x0:x1].reshape(-1, 3), axis=0) + [rng.randint(-8, 8) for _ in range(3)]
    nprng = np.random.default_rng(rng.getrandbits(32))
    patch = paper + nprng.normal(0, rng.uniform(2.5, 5.0), (y1 - y0, x1 - x0, 1))
    pixels[y0:y1, x0:x1] = np.clip(patch, 0, 255).astype(np.uint8)
    image = Image.fromarray(pixels)
    face = pick_face(rng, "value", avoid=card.style.value_face)
    size = round(box.h * rng.uniform(1.15, 1.35))
    dx, dy = rng.randint(-4, 4), rng.choice((-4, -3, 3, 4))
    ink = tuple(min(255, c + rng.randint(15, 45)) for c in card.style.value_color)
    pen = ImageDraw.Draw(image)
    text_font = font(face, size)
    pen.text((box.x + dx, box.y + box.h / 2 + dy), plan.values.number, font=text_font, fill=ink, anchor="lm")
    left, top, right, bottom = pen.textbbox((box.x + dx, box.y + box.h / 2 + dy), plan.values.number,
                                            font=text_font, anchor="lm")
    card.image = image
    card.field_boxes["number"] = Box(round(left), round(top), round(right - left), round(bottom - top))
    return ()


def _layout_mismatch(plan: CardPlan, rng: random.Random, as_of: date) -> list[CardPlan]:
    return [replace(plan, layout=FORGED_LAYOUT)]


def _field_unreadable(plan: CardPlan, rng: random.Random, as_of: date) -> list[CardPlan]:
    return [replace(plan, retouch=obscure_field)]


def obscure_field(card: RenderedCard, plan: CardPlan, rng: random.Random) -> tuple[str, ...]:
    """Wash out one printed value with lamp glare or cover it with a smear; returns the fields it showed."""
    box = card.field_boxes[rng.choice([f for f in OBSCURABLE_FIELDS if f in card.field_boxes])]
    pixels = np.asarray(card.image).copy()
    rng.choice((draw.glare, draw.smudge))(pixels, (box.x, box.y, box.w, box.h), rng)
    card.image = Image.fromarray(pixels)
    return tuple(name for name, other in card.field_boxes.items() if other == box)


def _unknown_kind(plan: CardPlan, rng: random.Random, as_of: date) -> list[CardPlan]:
    return [CardPlan("UNKNOWN_KIND", None, None, expected=("UNKNOWN_KIND",), design=foreign_design(rng, as_of))]


def _always(kind: Kind) -> bool:
    return True


def _has_qr(kind: Kind) -> bool:
    return qr_template(kind) is not None


FORGERIES: dict[str, Forgery] = {f.code: f for f in (
    Forgery("NUMBER_INVALID", _always, _number_invalid),
    Forgery("NUMBER_CHECKSUM", has_id, _number_checksum),
    Forgery("SEX_MISMATCH", lambda k: has_id(k) and "sex" in k.data["fields"], _sex_mismatch),
    Forgery("EXPIRED", _always, _expired),
    Forgery("VALIDITY_SPAN", _always, _validity_span),
    Forgery("CATEGORY_UNKNOWN", _always, _category_unknown),
    Forgery("CATEGORY_MISMATCH", can_mismatch_category, _category_mismatch),
    Forgery("QR_MISSING", lambda k: k.qr_required, _qr_missing),
    Forgery("QR_UNREADABLE", _has_qr, _qr_unreadable),
    Forgery("QR_UNOFFICIAL_HOST", _has_qr, _qr_unofficial_host),
    Forgery("QR_LOOKALIKE_HOST", _has_qr, _qr_lookalike_host),
    Forgery("QR_MISMATCH", _has_qr, _qr_mismatch),
    Forgery("REGISTRY_NOT_FOUND", _always, _registry_not_found),
    Forgery("REGISTRY_MISMATCH", _always, _registry_mismatch),
    Forgery("REGISTRY_REVOKED", _always, _registry_revoked),
    Forgery("DUPLICATE_NUMBER", _always, _duplicate_number),
    Forgery("TAMPERING", _always, _tampering),
    Forgery("LAYOUT_MISMATCH", _always, _layout_mismatch),
    Forgery("FIELD_UNREADABLE", _always, _field_unreadable),
    Forgery("UNKNOWN_KIND", _always, _unknown_kind),
)}
assert set(FORGERIES) == set(CATALOGUE), "every finding code needs a forgery (or a reason it has none)"
