"""QR rules: a QR must be there where the kind carries one, point to an official query host, and
carry the printed number.

Forgers sell cards whose QR opens a fake government query page on a look-alike domain, so where the
QR points is the strongest single tell. Hosts come from the kind files; nothing here is hard-coded
to one certificate. How a host is parsed and how a look-alike is recognised is in
`verification.hosts`.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, unquote, urlsplit

from ocr.types import QrPayload
from verification.findings import Finding, finding
from verification.hosts import TRICKS, Host, OfficialHosts, link_host
from verification.kinds import Kind
from verification.reading import CardReading, CheckContext, trusted_value

NUMBER_TOKEN = re.compile(r"[0-9A-Za-z\u4e00-\u9fa5]+")
SHOWN_OFFICIAL_HOSTS = 5


def official_hosts(kind: Kind) -> OfficialHosts:
    return OfficialHosts.of(kind.official_hosts, kind.agency_domains)


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
    official = official_hosts(kind)
    findings = []
    for payload in reading.qr.payloads:
        host = link_host(payload.text)
        if host is not None and not official.is_official(host):
            findings.append(host_finding(payload, host, official, kind))
    return findings


def host_finding(payload: QrPayload, host: Host, official: OfficialHosts, kind: Kind) -> Finding:
    """QR_LOOKALIKE_HOST naming the official host imitated and the trick, else QR_UNOFFICIAL_HOST."""
    evidence = {
        "field": "qr", "read": payload.text, "host": host.text,
        "punycode": host.ascii if host.is_idn else None, "registered_domain": host.registered_domain,
        "box": payload.box.as_list() if payload.box else None,
    }
    imitation = official.imitated(host)
    if imitation:
        how = "; ".join(TRICKS[trick] for trick in imitation.tricks)
        return finding("QR_LOOKALIKE_HOST", f"The QR opens {host.text}, which imitates the official "
                       f"{imitation.official} ({how}).", **evidence, expected=imitation.official,
                       trick=list(imitation.tricks))
    if host.is_ip:
        why = "an IP address, which cannot be told from a fake by its host; check the page by hand"
    elif host.ascii in kind.data["qr"].get("unconfirmed_hosts", []):
        why = "listed for this kind only as unconfirmed; check that the page is the agency's own"
    else:
        why = f"not an official query host for a {kind.name}"
    return finding("QR_UNOFFICIAL_HOST", f"The QR opens {host.text}, {why}.", **evidence,
                   expected=sorted(official.hosts)[:SHOWN_OFFICIAL_HOSTS])


def payload_numbers(payload: str, kind: Kind) -> set[str]:
    """Tokens in a payload (path, query values, plain text) that have the form of the kind's number."""
    parts = urlsplit(payload.strip())
    texts = [unquote(parts.path), unquote(parts.fragment), *(value for _, value in parse_qsl(parts.query))]
    if not parts.scheme:
        texts = [payload]
    return {token.upper() for text in texts for token in NUMBER_TOKEN.findall(text)
            if kind.number_pattern.fullmatch(token.upper())}


def comparable_number(number: str, kind: Kind) -> str:
    """ID-numbered kinds may print or encode the number with or without its letter prefix."""
    match = kind.number_pattern.fullmatch(number)
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
