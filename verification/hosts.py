"""Where a QR link really goes, and whether that host is, or imitates, an official query host.

A fake query page has to live on a domain the forger can register, so the host is the tell. It is
parsed the way a browser parses it, because the browser decides where the phone goes: backslashes
count as slashes, user info before "@" is not the host, percent escapes, full-width characters and
ideographic full stops in the host are decoded and mapped (UTS 46), case, a trailing dot and the
port do not matter. `tldextract` names the domain that was actually registered, from its bundled
public-suffix list only: no fetch, no cache on disk.

A host that is not official but resembles one is classified by the trick that makes it resemble
it, so a reviewer sees how the fake works:

* official-name-as-subdomain: the official host's labels, followed by another domain
  (cx.mem.gov.cn.example.net);
* official-name-under-other-suffix: the official name with "gov" kept and the suffix swapped
  (cx.mem.gov.com.cn, cnse.samr.gov.top);
* official-name-embedded: the official host inside a longer label (cx.mem.gov.cn-verify.com);
* hyphenation: dots turned into hyphens or dropped (cx-mem-gov.cn, mem-gov.cn, gov-cn.com);
* homoglyph: ASCII look-alikes (rn for m, vv for w, cl for d, 0 for o, 1 or i for l: cx.rnem.gov.cn, g0v);
* idn-confusable: non-Latin letters that render like Latin ones, shown or sent as punycode (xn--…);
* edit-distance: a character or two added, dropped, changed or swapped (cx.men.gov.cn).
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from urllib.parse import unquote, urlsplit

import idna
import tldextract
from rapidfuzz.distance import OSA

AUTHORITY = re.compile(r"^([a-z][a-z0-9+.-]*):[/\\]{2}", re.IGNORECASE)
BARE_DOMAIN = re.compile(r"^[^\s/\\:@]+\.[^\s/\\:@]+(:\d+)?([/?#]|$)")
FULL_STOPS = str.maketrans({"。": ".", "．": ".", "｡": "."})
NUMERIC_HOST = re.compile(r"^(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+)){0,3}$")  # browsers read these as IPv4
SEPARATORS = re.compile(r"[.\-_]")
# Letters from other scripts that render like Latin ones (after NFKC; accents are stripped separately).
CONFUSABLE_LETTERS = str.maketrans({
    "а": "a", "в": "b", "е": "e", "ё": "e", "һ": "h", "і": "i", "ї": "i", "ј": "j", "к": "k", "м": "m", "н": "h",
    "о": "o", "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "ԁ": "d", "ԛ": "q", "ԝ": "w", "ӏ": "l",
    "ү": "y", "ɡ": "g", "ɑ": "a", "ı": "i", "ȷ": "j", "ʏ": "y", "ɢ": "g", "ɴ": "n", "ʀ": "r", "ո": "n", "ս": "u",
    "օ": "o", "α": "a", "β": "b", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t", "υ": "u",
    "χ": "x", "ω": "w",
})
# ASCII sequences that read alike in an address bar, folded to one spelling on both sides of a comparison.
HOMOGLYPH_PAIRS = (("rn", "m"), ("vv", "w"), ("cl", "d"))
HOMOGLYPH_CHARS = str.maketrans({"0": "o", "1": "l", "i": "l", "|": "l"})
# The ways a host imitates an official one, in the order findings name them, with what a reader is told.
TRICKS = {
    "idn-confusable": "letters from another script that look Latin",
    "homoglyph": "characters that look alike",
    "hyphenation": "hyphens or no dots where the official name has dots",
    "official-name-as-subdomain": "the official name as a subdomain of another domain",
    "official-name-embedded": "the official name inside a longer name",
    "official-name-under-other-suffix": "the official name under another suffix",
    "edit-distance": "a character or two changed",
}


@cache
def public_suffixes() -> tldextract.TLDExtract:
    """The bundled public-suffix list: suffix_list_urls=() never fetches, cache_dir=None never writes."""
    return tldextract.TLDExtract(cache_dir=None, suffix_list_urls=(), fallback_to_snapshot=True)


@dataclass(frozen=True)
class Host:
    """A link's host as DNS is asked for it (lowercase, punycode) and as an address bar shows it."""

    ascii: str
    text: str

    @property
    def is_idn(self) -> bool:
        return not self.text.isascii()

    @property
    def is_ip(self) -> bool:
        if NUMERIC_HOST.match(self.ascii):
            return True
        try:
            ipaddress.ip_address(self.ascii)
        except ValueError:
            return False
        return True

    @property
    def registered_domain(self) -> str:
        """The domain someone registered to run this host (cx-query.com for cx.mem.gov.cn.cx-query.com)."""
        return public_suffixes()(self.ascii).top_domain_under_public_suffix or self.ascii


def link_host(payload: str) -> Host | None:
    """The host a browser opens for this payload; None when the payload is not a web link."""
    text = payload.strip()
    scheme = AUTHORITY.match(text)
    if scheme is None:
        if not BARE_DOMAIN.match(text):
            return None
        text = "http://" + text
    elif scheme.group(1).lower() not in ("http", "https"):
        return None
    try:
        host = urlsplit(text.replace("\\", "/")).hostname or ""
    except ValueError:  # e.g. an unbalanced IPv6 bracket
        return None
    host = unicodedata.normalize("NFKC", unquote(host)).translate(FULL_STOPS).lower().rstrip(".")
    if not host:
        return None
    if scheme is None and not public_suffixes()(host).suffix:
        return None  # "张三.T110…" is text with a dot, not a domain
    labels = host.split(".")
    return Host(".".join(map(to_ascii, labels)), ".".join(map(to_text, labels)))


def to_ascii(label: str) -> str:
    if label.isascii():
        return label
    try:
        return idna.encode(label, uts46=True).decode("ascii")
    except idna.IDNAError:
        return label


def to_text(label: str) -> str:
    if label.startswith("xn--"):
        try:
            return idna.decode(label)
        except idna.IDNAError:
            return label
    return label


def latin(text: str) -> str:
    """Letters of other scripts that look Latin made Latin; accents dropped (é → e)."""
    folded = unicodedata.normalize("NFKC", text).lower().translate(CONFUSABLE_LETTERS)
    return "".join(c for c in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(c))


def fold_homoglyphs(text: str) -> str:
    for pair, single in HOMOGLYPH_PAIRS:
        text = text.replace(pair, single)
    return text.translate(HOMOGLYPH_CHARS)


def max_edits(official: str) -> int:
    """Edits that still read as the same name: one in a short name, two in a longer one."""
    return 1 if len(SEPARATORS.sub("", official)) <= 8 else 2


def is_run(needle: list[str], labels: list[str]) -> bool:
    """`needle` occurs as consecutive labels of `labels`, followed by at least one more label."""
    return any(labels[i:i + len(needle)] == needle for i in range(len(labels) - len(needle)))


def structural_trick(host: str, official: str) -> str | None:
    """How `host` contains the official name verbatim, if it does: the cheapest fakes to register."""
    labels, wanted = host.split("."), official.split(".")
    if host == official:
        return ""
    if is_run(wanted, labels):
        return "official-name-as-subdomain"
    if official in host:
        return "official-name-embedded"
    if len(wanted) > 2 and wanted[-2] == "gov" and is_run(wanted[:-1], labels):
        return "official-name-under-other-suffix"
    return None


@dataclass(frozen=True)
class Resemblance:
    """An official host a link's host imitates, the tricks used, and how close it is (0 = verbatim)."""

    official: str
    tricks: tuple[str, ...]
    edits: int


def resemblance(host: Host, official: str) -> Resemblance | None:
    """How `host` imitates `official`, trying the views a reader's eye applies: script, glyphs, separators."""
    base = latin(host.text)
    idn = ("idn-confusable",) if host.is_idn else ()
    views = [(base, official, ()), (fold_homoglyphs(base), fold_homoglyphs(official), ("homoglyph",))]
    views += [(h.replace("-", ".").replace("_", "."), o, tricks + ("hyphenation",)) for h, o, tricks in views]
    for seen, wanted, tricks in views:
        trick = structural_trick(seen, wanted)
        if trick is not None and (trick or tricks or idn):
            return Resemblance(official, ordered(idn + tricks + ((trick,) if trick else ())), 0)
    for seen, wanted, tricks in views[:2]:
        if SEPARATORS.sub("", wanted) in SEPARATORS.sub("", seen):
            return Resemblance(official, ordered(idn + tricks + ("hyphenation",)), 0)
    edits = OSA.distance(SEPARATORS.sub("", fold_homoglyphs(base)), SEPARATORS.sub("", fold_homoglyphs(official)))
    if edits <= max_edits(official):
        return Resemblance(official, ordered(idn + ("edit-distance",)), edits)
    return None


def ordered(tricks: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted(set(tricks), key=list(TRICKS).index))


@dataclass(frozen=True)
class OfficialHosts:
    """A kind's official query hosts, and the agencies' domains under which every host is theirs."""

    hosts: frozenset[str]
    agency_domains: frozenset[str]

    @classmethod
    def of(cls, hosts: Iterable[str], agency_domains: Iterable[str]) -> OfficialHosts:
        return cls(frozenset(h.lower() for h in hosts), frozenset(d.lower() for d in agency_domains))

    def is_official(self, host: Host) -> bool:
        """Listed hosts, subdomains of listed government hosts, and the agencies' own domains.

        Only `.gov.cn` names can be delegated like this: nobody but a government body can register under
        gov.cn, while a listed commercial platform's neighbours are anyone's to register.
        """
        if host.ascii in self.hosts:
            return True
        parents = [h for h in self.hosts if h.endswith(".gov.cn")] + list(self.agency_domains)
        return any(host.ascii == parent or host.ascii.endswith("." + parent) for parent in parents)

    def imitated(self, host: Host) -> Resemblance | None:
        """The official host this one imitates most closely (fewest edits, then the most specific name)."""
        if host.is_ip:
            return None
        found = [r for official in sorted(self.hosts | self.agency_domains) if (r := resemblance(host, official))]
        return min(found, key=lambda r: (r.edits, -len(r.official), len(r.tricks)), default=None)
