"""QR rules: a QR must be there where the kind carries one, and point to an official query host.

Forgers sell cards whose QR opens a fake government query page on a look-alike domain, so where the
QR points is the strongest single tell. Hosts come from the kind files; nothing here is hard-coded
to one certificate.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from difflib import SequenceMatcher
from urllib.parse import parse_qsl, unquote, urlsplit

import idna

from verification.findings import Finding, finding
from verification.kinds import Kind
from verification.reading import CardReading, CheckContext, trusted_value

# Characters and pairs that render alike in a URL bar; applied after NFKC, so full-width forms are gone.
CONFUSABLE_CHARS = str.maketrans({
    "0": "o", "1": "l", "i": "l", "|": "l",
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "х": "x", "у": "y", "і": "l", "ј": "j", "ѕ": "s",
    "ԁ": "d", "ɡ": "g", "ո": "n", "ν": "v", "ο": "o", "α": "a",
})
CONFUSABLE_PAIRS = (("rn", "m"), ("vv", "w"), ("cl", "d"))
LOOKALIKE_SIMILARITY = 0.85
NUMBER_TOKEN = re.compile(r"[0-9A-Za-z\u4e00-\u9fa5]+")


def url_host(payload: str) -> str | None:
    """The host a payload opens, decoded from punycode; None when the payload is not a web link."""
    text = payload.strip()
    if not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", text):
        if not re.match(r"^[^\s/]+\.[^\s/]+(/|$)", text):
            return None
        text = "http://" + text
    host = (urlsplit(text).hostname or "").rstrip(".")
    if not host:
        return None
    try:
        return idna.decode(host)
    except idna.IDNAError:
        return host.lower()


def skeleton(host: str) -> str:
    """A host reduced to how it looks: confusable characters folded, separators dropped."""
    text = unicodedata.normalize("NFKC", host).lower()
    for pair, single in CONFUSABLE_PAIRS:
        text = text.replace(pair, single)
    return re.sub(r"[.\-_]", "", text.translate(CONFUSABLE_CHARS))


def is_official(host: str, kind: Kind) -> bool:
    """Listed hosts, subdomains of listed government hosts, and the agencies' own domains."""
    if host in kind.official_hosts:
        return True
    governed = [h for h in kind.official_hosts if h.endswith(".gov.cn")] + list(kind.agency_domains)
    return any(host.endswith("." + parent) for parent in governed)


def imitated_host(host: str, kind: Kind) -> str | None:
    """The official host this one imitates, if it looks like one without being it."""
    candidates = sorted(kind.official_hosts | set(kind.agency_domains))
    for official in candidates:
        if official in host:  # e.g. cx.mem.gov.cn.example.net
            return official
    shape = skeleton(host)
    for official in candidates:
        official_shape = skeleton(official)
        if official_shape in shape or SequenceMatcher(None, shape, official_shape).ratio() >= LOOKALIKE_SIMILARITY:
            return official
    return None


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def check_qr_presence(reading: CardReading, context: CheckContext) -> list[Finding]:
    if context.kind is None or reading.qr.payloads:
        return []
    if reading.qr.symbol_seen:
        return [finding("QR_UNREADABLE", "A QR symbol is on the card but could not be decoded; retake the photo "
                        "closer and without glare.")]
    if context.kind.qr_required:
        return [finding("QR_MISSING", f"A {context.kind.name} carries a QR code, but none was found.")]
    return []


def check_qr_hosts(reading: CardReading, context: CheckContext) -> list[Finding]:
    kind = context.kind
    if kind is None:
        return []
    findings = []
    for payload in reading.qr.payloads:
        host = url_host(payload.text)
        if host is None or is_official(host, kind):
            continue
        box = payload.box.as_list() if payload.box else None
        lookalike = None if _is_ip(host) else imitated_host(host, kind)
        if lookalike:
            findings.append(finding(
                "QR_LOOKALIKE_HOST", f"The QR opens {host}, which imitates the official {lookalike}.",
                field="qr", read=payload.text, host=host, expected=lookalike, box=box,
            ))
        else:
            findings.append(finding(
                "QR_UNOFFICIAL_HOST", f"The QR opens {host}, which is not an official query host for a {kind.name}.",
                field="qr", read=payload.text, host=host, expected=sorted(kind.official_hosts)[:5], box=box,
            ))
    return findings


def payload_numbers(payload: str, kind: Kind) -> set[str]:
    """Tokens in a payload (path, query values, plain text) that have the form of the kind's number."""
    parts = urlsplit(payload.strip())
    texts = [unquote(parts.path), unquote(parts.fragment), *(value for _, value in parse_qsl(parts.query))]
    if not parts.scheme:
        texts = [payload]
    return {token.upper() for text in texts for token in NUMBER_TOKEN.findall(text)
            if kind.number_pattern.match(token.upper())}


def comparable_number(number: str, kind: Kind) -> str:
    """ID-numbered kinds may print or encode the number with or without its letter prefix."""
    match = kind.number_pattern.match(number)
    if match and kind.embeds_id_number and "id_number" in match.groupdict():
        return match.group("id_number")
    return number


def check_qr_number(reading: CardReading, context: CheckContext) -> list[Finding]:
    kind, number = context.kind, trusted_value(reading, "number", context)
    if kind is None or number is None:
        return []
    printed = comparable_number(number, kind)
    findings = []
    for payload in reading.qr.payloads:
        encoded = {comparable_number(token, kind) for token in payload_numbers(payload.text, kind)}
        if encoded and printed not in encoded:
            findings.append(finding(
                "QR_MISMATCH", "The number in the QR payload differs from the printed number.",
                field="number", read=sorted(encoded)[0], expected=number,
                box=payload.box.as_list() if payload.box else None,
            ))
    return findings
