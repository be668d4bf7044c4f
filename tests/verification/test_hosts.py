"""The host classifier: official hosts always pass, every look-alike family is caught and named.

Official hosts and the mutations come from the real kind files, so a host added to a kind is covered.
"""

from __future__ import annotations

import idna
import pytest
import requests
from helpers import KINDS
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from verification import hosts
from verification.hosts import OfficialHosts, link_host

OFFICIAL = {kind_id: OfficialHosts.of(kind.official_hosts, kind.agency_domains) for kind_id, kind in KINDS.items()}
PAIRS = sorted((kind_id, host) for kind_id, official in OFFICIAL.items()
               for host in official.hosts | official.agency_domains)
GOV_PAIRS = [(kind_id, host) for kind_id, host in PAIRS if host.endswith(".gov.cn")]
TLDS = ["com", "net", "cn", "top", "xyz", "com.cn", "cc"]
LETTER = st.sampled_from("abcdefghijklmnopqrstuvwxyz")
LABEL = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=10)
PATH = st.text("abcdefghijklmnopqrstuvwxyz0123456789/-_.~=&%?", max_size=30)
HOMOGLYPHS = {"m": "rn", "w": "vv", "d": "cl", "o": "0", "l": "1", "i": "1"}
CONFUSABLES = {"a": "а", "c": "с", "e": "е", "o": "о", "p": "р", "x": "х", "y": "у", "i": "і", "j": "ј", "s": "ѕ",
               "d": "ԁ", "h": "һ", "g": "ɡ"}


def classify(kind_id: str, url: str) -> tuple[bool, hosts.Resemblance | None]:
    host = link_host(url)
    assert host is not None, url
    official = OFFICIAL[kind_id]
    return official.is_official(host), None if official.is_official(host) else official.imitated(host)


def valid_host(host: str) -> bool:
    return all(label and not label.startswith("-") and not label.endswith("-") for label in host.split("."))


def caught(kind_id: str, host: str, family: str, imitated: str | None = None) -> None:
    """`host` is judged a look-alike using `family` (of `imitated`, when given), and is not official."""
    is_official, resemblance = classify(kind_id, f"https://{host}/query?certNum=1")
    assert not is_official, host
    assert resemblance is not None, host
    assert family in resemblance.tricks, (host, resemblance)
    if imitated:
        assert resemblance.official == imitated, (host, resemblance)


@settings(max_examples=200)
@given(pair=st.sampled_from(PAIRS), scheme=st.sampled_from(["https://", "http://", "HTTPS://", "Http://", ""]),
       upper=st.lists(st.booleans(), min_size=40, max_size=40), dot=st.booleans(),
       port=st.sampled_from(["", ":443", ":80", ":8443"]), path=PATH)
def test_official_hosts_always_pass(pair, scheme, upper, dot, port, path):
    kind_id, host = pair
    shown = "".join(c.upper() if flip else c for c, flip in zip(host, upper, strict=False)) + host[len(upper):]
    url = f"{scheme}{shown}{'.' if dot else ''}{port}/{path}"
    assert classify(kind_id, url) == (True, None), url


@given(pair=st.sampled_from(GOV_PAIRS), labels=st.lists(LABEL, min_size=1, max_size=3))
def test_subdomains_of_official_government_hosts_pass(pair, labels):
    kind_id, host = pair
    assert classify(kind_id, f"https://{'.'.join(labels)}.{host}/x")[0]


@given(pair=st.sampled_from(PAIRS), data=st.data())
def test_homoglyphs_are_caught(pair, data):
    kind_id, host = pair
    positions = [i for i, c in enumerate(host) if c in HOMOGLYPHS]
    assume(positions)
    i = data.draw(st.sampled_from(positions))
    mutated = host[:i] + HOMOGLYPHS[host[i]] + host[i + 1:]
    assume(not classify(kind_id, f"https://{mutated}/")[0])
    caught(kind_id, mutated, "homoglyph", host)


@given(pair=st.sampled_from(PAIRS), data=st.data())
def test_hyphens_for_dots_and_dropped_dots_are_caught(pair, data):
    kind_id, host = pair
    dots = [i for i, c in enumerate(host) if c == "."]
    chosen = data.draw(st.lists(st.sampled_from(dots), min_size=1, unique=True))
    glue = data.draw(st.lists(st.sampled_from(["-", ""]), min_size=len(chosen), max_size=len(chosen)))
    mutated = list(host)
    for i, joint in zip(chosen, glue, strict=True):
        mutated[i] = joint
    mutated = "".join(mutated)
    if dots[-1] in chosen:  # gov.cn → gov-cn: the forger needs a suffix of his own
        mutated += "." + data.draw(st.sampled_from(TLDS))
    assume(valid_host(mutated) and not classify(kind_id, f"https://{mutated}/")[0])
    caught(kind_id, mutated, "hyphenation")


@given(pair=st.sampled_from(PAIRS), labels=st.lists(LABEL, max_size=2), tld=st.sampled_from(TLDS))
def test_the_official_name_as_a_subdomain_of_another_domain_is_caught(pair, labels, tld):
    kind_id, host = pair
    mutated = ".".join([host, *labels, tld])
    caught(kind_id, mutated, "official-name-as-subdomain", host)


@given(pair=st.sampled_from(PAIRS), data=st.data(), punycode=st.booleans())
def test_idn_confusables_are_caught_in_unicode_and_in_punycode(pair, data, punycode):
    kind_id, host = pair
    positions = [i for i, c in enumerate(host) if c in CONFUSABLES]
    chosen = data.draw(st.lists(st.sampled_from(positions), min_size=1, max_size=2, unique=True))
    mutated = "".join(CONFUSABLES[c] if i in chosen else c for i, c in enumerate(host))
    try:
        ascii_host = idna.encode(mutated).decode()
    except idna.IDNAError:  # mixed scripts some registries refuse; browsers would not get there either
        assume(False)
    assume(not classify(kind_id, f"https://{ascii_host}/")[0])  # under an official government host: theirs
    caught(kind_id, ascii_host if punycode else mutated, "idn-confusable", host)


@given(pair=st.sampled_from(PAIRS), data=st.data())
def test_a_character_added_dropped_changed_or_swapped_is_caught(pair, data):
    kind_id, host = pair
    i = data.draw(st.integers(0, len(host) - 1))
    edit = data.draw(st.sampled_from(["insert", "delete", "change", "swap"]))
    letter = data.draw(LETTER)
    mutated = {
        "insert": host[:i] + letter + host[i:],
        "delete": host[:i] + host[i + 1:],
        "change": host[:i] + letter + host[i + 1:],
        "swap": host[:i] + host[i + 1:i + 2] + host[i:i + 1] + host[i + 2:],
    }[edit]
    assume(mutated != host and valid_host(mutated) and "." in mutated)
    assume(not classify(kind_id, f"https://{mutated}/")[0])
    is_official, resemblance = classify(kind_id, f"https://{mutated}/")
    assert resemblance is not None, mutated


@pytest.mark.parametrize(("kind_id", "host", "imitated", "tricks"), [
    ("special_operation", "cx-mem-gov.cn", "cx.mem.gov.cn", ("hyphenation",)),
    ("special_operation", "cx.mern.gov.cn", "cx.mem.gov.cn", ("homoglyph",)),
    ("special_operation", "cx.rnem.gov.cn", "cx.mem.gov.cn", ("homoglyph",)),
    ("special_operation", "cx.mem.g0v.cn", "cx.mem.gov.cn", ("homoglyph",)),
    ("special_operation", "cx.mem.gov.cn.cx-query.com", "cx.mem.gov.cn", ("official-name-as-subdomain",)),
    ("special_operation", "cx.mem.gov-cn.com", "cx.mem.gov.cn", ("hyphenation", "official-name-as-subdomain")),
    ("special_operation", "cx.mem.gov.cn-verify.com", "cx.mem.gov.cn", ("official-name-embedded",)),
    ("special_operation", "cx.mem.gov.com.cn", "cx.mem.gov.cn", ("official-name-under-other-suffix",)),
    ("special_operation", "mem-gov.cn", "mem.gov.cn", ("hyphenation",)),
    ("special_operation", "cxmem.gov.cn", "cx.mem.gov.cn", ("hyphenation",)),
    ("special_operation", "cx.men.gov.cn", "cx.mem.gov.cn", ("edit-distance",)),
    ("special_operation", "xn--cx-mm-5ve.gov.cn", "cx.mem.gov.cn", ("idn-confusable", "edit-distance")),
    ("special_operation", "cx.xn--mm-nlc.gov.cn", "cx.mem.gov.cn", ("idn-confusable",)),
    ("special_operation", "cx.mеm.gov.cn", "cx.mem.gov.cn", ("idn-confusable",)),
    ("special_equipment", "cnse-samr.gov.cn.top", "cnse.samr.gov.cn", ("hyphenation", "official-name-as-subdomain")),
    ("special_equipment", "cnse.samr.gov.cn.verify-cx.com", "cnse.samr.gov.cn", ("official-name-as-subdomain",)),
    ("special_equipment", "cnse.sarnr.gov.cn", "cnse.samr.gov.cn", ("homoglyph",)),
    ("construction_operation", "zlaq-mohurd.gov.cn", "zlaq.mohurd.gov.cn", ("hyphenation",)),
    ("construction_operation", "zlaq.mohurd.gov.cn.cc", "zlaq.mohurd.gov.cn", ("official-name-as-subdomain",)),
    ("construction_operation", "www.gdcic.net.cn", "www.gdcic.net", ("official-name-as-subdomain",)),
    ("construction_operation", "www.hizj-net.com", "www.hizj.net", ("hyphenation", "official-name-as-subdomain")),
    ("construction_operation", "zjw.beijing.gov.cn.bj-cert.com", "zjw.beijing.gov.cn", ("official-name-as-subdomain",)),
])
def test_realistic_look_alikes_name_the_official_host_and_the_trick(kind_id, host, imitated, tricks):
    is_official, resemblance = classify(kind_id, f"https://{host}/special?certNum=T11010519491231002X")
    assert not is_official
    assert (resemblance.official, resemblance.tricks) == (imitated, tricks)


@pytest.mark.parametrize(("kind_id", "url"), [
    ("special_operation", "https://cx-mem-query.com/cert"),
    ("special_operation", "http://cert365.top/fwmh"),
    ("special_operation", "https://www.gov.cn/"),
    ("special_operation", "https://cnse.samr.gov.cn/info-pub/pub"),  # official, but for another kind
    ("special_operation", "http://203.0.113.7/cx"),
    ("special_operation", "http://[2001:db8::1]/cx"),
    ("special_operation", "http://3232235777/cx"),  # a decimal IPv4 address
    ("construction_operation", "https://gdcic.net/"),  # only the listed hosts of a commercial platform
])
def test_unrelated_hosts_and_addresses_are_unofficial_but_imitate_nothing(kind_id, url):
    assert classify(kind_id, url) == (False, None)


@pytest.mark.parametrize(("payload", "host"), [
    ("https://cx.mem.gov.cn@cx-query.com/special", "cx-query.com"),  # user info is not the host
    ("https://cx-query.com\\@cx.mem.gov.cn/special", "cx-query.com"),  # browsers read \ as /
    ("https://cx%2Emem.gov.cn/x", "cx.mem.gov.cn"),
    ("https://ｃｘ．ｍｅｍ。ｇｏｖ。ｃｎ/", "cx.mem.gov.cn"),  # full-width forms, ideographic full stops
    ("HTTPS://CX.MEM.GOV.CN.:8443/a?b=c", "cx.mem.gov.cn"),
    ("cx.mem.gov.cn/special?certNum=1", "cx.mem.gov.cn"),
    ("https://xn--cx-mm-5ve.gov.cn/", "xn--cx-mm-5ve.gov.cn"),
])
def test_the_host_is_the_one_a_browser_opens(payload, host):
    assert link_host(payload).ascii == host


@pytest.mark.parametrize("payload", [
    "CX:OPAQUE-TOKEN-1234", "T11010519491231002X", "张三.T11010519491231002X", "证号 1.2 版", "weixin://dl/business",
    "mailto:a@cx.mem.gov.cn", "https://[::1", "",
])
def test_payloads_that_are_not_web_links_have_no_host(payload):
    assert link_host(payload) is None


def test_the_registered_domain_comes_from_the_bundled_suffix_list_without_fetching_or_caching(monkeypatch, tmp_path):
    def no_network(*args, **kwargs):
        raise AssertionError("tldextract tried to fetch the public suffix list")

    monkeypatch.setattr(requests.Session, "send", no_network)
    monkeypatch.setenv("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "https://publicsuffix.org/list/public_suffix_list.dat")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path))
    hosts.public_suffixes.cache_clear()
    try:
        assert link_host("https://cx.mem.gov.cn.cx-query.com.cn/").registered_domain == "cx-query.com.cn"
        assert link_host("https://cnse-samr.gov.cn.top/").registered_domain == "cn.top"
    finally:
        hosts.public_suffixes.cache_clear()
    assert list(tmp_path.rglob("*")) == []
