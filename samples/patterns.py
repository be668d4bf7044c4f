"""Draw strings that match a kind's number pattern, with chosen values for its named groups.

A kind file describes its certificate number as a regular expression whose named groups carry meaning
(province, city, category_code, year, serial, id_number). Walking the parsed expression lets the
generator build a number for any kind file without code per kind: a named group the card has a value
for gets that value, every other part is drawn from what the expression allows.
"""

from __future__ import annotations

import random
import re
import string
from collections.abc import Mapping
from re import _constants as sre  # the parser behind `re`; the public API has no way to walk a pattern
from re import _parser

_ALNUM = string.ascii_uppercase + string.digits
_CATEGORY_CHARS = {
    sre.CATEGORY_DIGIT: string.digits,
    sre.CATEGORY_WORD: string.ascii_letters + string.digits,
    sre.CATEGORY_SPACE: " ",
}
_MAX_EXTRA_REPEATS = 3  # how far past the minimum an open-ended repeat (`+`, `*`, `{2,}`) may run


def sample_match(pattern: re.Pattern[str], rng: random.Random, fixed: Mapping[str, str] | None = None) -> str:
    """Return a string that fully matches `pattern`, using `fixed[name]` for each named group given.

    Raises ValueError when a fixed value does not fit its group (the result would not match).
    """
    fixed = {name: value for name, value in (fixed or {}).items() if name in pattern.groupindex}
    group_names = {index: name for name, index in pattern.groupindex.items()}
    out: list[str] = []
    _emit(_parser.parse(pattern.pattern, pattern.flags), rng, fixed, group_names, out)
    text = "".join(out)
    if not pattern.fullmatch(text):
        raise ValueError(f"values {fixed!r} do not fit the pattern {pattern.pattern!r}")
    return text


def sample_group(pattern: re.Pattern[str], name: str, rng: random.Random) -> str:
    """Draw a value for one named group on its own."""
    match = pattern.fullmatch(sample_match(pattern, rng))
    assert match is not None
    return match.group(name)


def replace_group(pattern: re.Pattern[str], text: str, name: str, value: str) -> str:
    """Splice `value` into the span of group `name` of a matching `text` (used to forge one part)."""
    match = pattern.fullmatch(text)
    if match is None or match.start(name) < 0:
        raise ValueError(f"{text!r} has no group {name!r} under {pattern.pattern!r}")
    return text[: match.start(name)] + value + text[match.end(name) :]


def _emit(items, rng: random.Random, fixed: Mapping[str, str], names: dict[int, str], out: list[str]) -> None:
    for op, arg in items:
        if op is sre.LITERAL:
            out.append(chr(arg))
        elif op is sre.NOT_LITERAL:
            out.append(rng.choice(_ALNUM.replace(chr(arg), "")))
        elif op is sre.ANY:
            out.append(rng.choice(_ALNUM))
        elif op is sre.IN:
            out.append(_pick_from_set(arg, rng))
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
            low, high, sub = arg
            high = min(high, low + _MAX_EXTRA_REPEATS)
            for _ in range(rng.randint(low, high)):
                _emit(sub, rng, fixed, names, out)
        elif op is sre.SUBPATTERN:
            group, _add_flags, _del_flags, sub = arg
            if names.get(group) in fixed:
                out.append(fixed[names[group]])
            else:
                _emit(sub, rng, fixed, names, out)
        elif op is sre.ATOMIC_GROUP:
            _emit(arg, rng, fixed, names, out)
        elif op is sre.BRANCH:
            _emit(rng.choice(arg[1]), rng, fixed, names, out)
        elif op is sre.AT:
            continue
        else:
            raise ValueError(f"number patterns may not use {op} (cannot draw a sample)")


def _pick_from_set(items, rng: random.Random) -> str:
    """Pick one character from a character class, each member equally likely."""
    ranges: list[tuple[int, int]] = []
    negate = False
    for op, arg in items:
        if op is sre.NEGATE:
            negate = True
        elif op is sre.LITERAL:
            ranges.append((arg, arg))
        elif op is sre.RANGE:
            ranges.append(arg)
        elif op is sre.CATEGORY:
            ranges.extend((ord(c), ord(c)) for c in _CATEGORY_CHARS.get(arg, ""))
        else:
            raise ValueError(f"number patterns may not use {op} inside a character class")
    if negate:
        allowed = [c for c in _ALNUM if not any(lo <= ord(c) <= hi for lo, hi in ranges)]
        return rng.choice(allowed)
    total = sum(hi - lo + 1 for lo, hi in ranges)
    pick = rng.randrange(total)
    for lo, hi in ranges:
        if pick <= hi - lo:
            return chr(lo + pick)
        pick -= hi - lo + 1
    raise AssertionError("unreachable")
