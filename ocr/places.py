"""Issuing authorities: a place name followed by an agency ("四川省" + "应急管理厅").

A misread authority is usually one character off ("四省应急管理厅", "湖南省住房和城多建设厅"), and
both halves come from closed lists: agencies from the kind file (`FieldSpec.agencies`), places from
the administrative division names python-stdnum ships for GB 11643 (`stdnum/cn/loc.dat`: provinces,
prefectures and counties, current and former). So each half is re-read as the one known name a
single edit away, and only when exactly one is; anything else is kept as read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

from rapidfuzz.distance import Levenshtein
from stdnum import numdb

DATED = re.compile(r"^\[[^\]]*\]")
"""The table prefixes names that changed with the years they held ("[1988-]海口市")."""
PLACE_FIX_QUALITY = 0.9
"""Confidence factor of an authority whose place or agency was re-read."""


@lru_cache(maxsize=1)
def place_names() -> frozenset[str]:
    """Every province, prefecture and county name in stdnum's division table."""
    names: set[str] = set()

    def walk(entries: Iterable[tuple]) -> None:
        for _, _, _, props, children in entries:
            names.update(name for key, value in props.items() if key in ("province", "county")
                         and len(name := DATED.sub("", value)) >= 2)
            walk(children)

    walk(numdb.get("cn/loc").prefixes)
    names.discard("市辖区")
    return frozenset(names)


def one_edit_apart(a: str, b: str) -> bool:
    """Whether one substitution, insertion or deletion turns `a` into `b` (and they differ)."""
    return Levenshtein.distance(a, b, score_cutoff=2) == 1


def single_match(text: str, names: Iterable[str]) -> str | None:
    """The one name exactly one edit from `text`, if there is exactly one."""
    near = {name for name in names if one_edit_apart(text, name)}
    return near.pop() if len(near) == 1 else None


def split_agency(text: str, agencies: Sequence[str]) -> tuple[str, str, bool] | None:
    """(place part, agency, whether re-read) for text ending in an agency or a near miss of one
    (agencies of at least four characters only), or holding one with other print run on after it
    (the card's imprint, "…建设厅住房和城乡建设部监制"); None when it holds none."""
    for agency in sorted(agencies, key=len, reverse=True):
        if text.endswith(agency):
            return text[:-len(agency)], agency, False
    fixes = {(text[:-size], agency) for agency in agencies if len(agency) >= 4
             for size in (len(agency) - 1, len(agency), len(agency) + 1)
             if 0 < size < len(text) and one_edit_apart(text[-size:], agency)}
    if len(fixes) == 1:
        place, agency = fixes.pop()
        return place, agency, True
    inside = sorted((text.find(agency), agency) for agency in agencies if text.find(agency) > 0)
    if inside:
        at, agency = inside[0]
        return text[:at], agency, True
    return None


def known_place(text: str, places: frozenset[str]) -> bool:
    """A place name, or a province followed by a prefecture ("广东省深圳市")."""
    return text in places or any(text[:i] in places and text[i:] in places for i in range(2, len(text) - 1))


def fix_authority(text: str, agencies: Sequence[str]) -> tuple[str, float]:
    """(authority, quality): `text` with its place and agency each re-read as the one known name a
    single edit away when it is not a known name itself; quality PLACE_FIX_QUALITY per re-read half."""
    split = split_agency(text, agencies)
    if split is None:
        return text, 1.0
    place, agency, agency_fixed = split
    quality = PLACE_FIX_QUALITY if agency_fixed else 1.0
    places = place_names()
    if place and not known_place(place, places) and (near := single_match(place, places)):
        place, quality = near, quality * PLACE_FIX_QUALITY
    return place + agency, quality
