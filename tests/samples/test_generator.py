"""Tests of the synthetic certificate generator: determinism, ground-truth consistency, forgeries, new
kinds, and the committed sample set."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import random
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import zxingcpp
from PIL import Image
from stdnum.cn import ric

from ocr.normalise import add_years
from samples.generate import DEFAULT_AS_OF, generate_set, plan_jobs
from samples.patterns import replace_group, sample_match
from samples.render import design_card
from samples.values import draw_values
from samples.variants import FORGERIES, lookalike_host, plans_for
from verification.findings import CATALOGUE
from verification.kinds import load_kinds

KINDS = load_kinds()
COMMITTED = Path(__file__).resolve().parents[2] / "samples" / "committed"
MAX_COMMITTED_BYTES = 5 * 1024 * 1024
NEW_KIND_YAML = """
id: test_welding
name: 测试焊工操作证
agency: 应急管理部
titles: [中华人民共和国焊工作业资格证, 焊工作业资格证]
number:
  pattern: '^(?P<province>[\\u4e00-\\u9fa5])-(?P<category_code>[A-Z]\\d)-(?P<year>20\\d{2})(?P<serial>\\d{5})$'
fields:
  name: {labels: [姓名, 持证人]}
  sex: {labels: [性别], type: sex}
  id_number: {labels: [公民身份号码], type: code}
  number: {labels: [资格证号]}
  category: {labels: [焊接方法]}
  item: {labels: [焊接项目]}
  first_issued: {labels: [取证日期], type: date}
  validity: {labels: [有效期], type: date_range}
  authority: {labels: [发证单位]}
validity: {years: 3}
qr: {required: true, sample_url: 'https://hg.example.gov.cn/q?n={number}', official_hosts: [hg.example.gov.cn]}
provinces:
  粤: {name: 广东, hosts: [hg.gd.example.gov.cn]}
  桂: {name: 广西, hosts: [hg.gx.example.gov.cn]}
catalogue:
  - category: 手工电弧焊
    code: A1
    items: [{name: 平焊}, {name: 立焊}]
  - category: 气体保护焊
    code: B2
    items: [{name: 横焊}]
"""


def check_digit_ok(id_number: str) -> bool:
    """GB 11643 check digit, by stdnum (an independent implementation; it takes all 18 characters)."""
    return len(id_number) == 18 and ric.calc_check_digit(id_number) == id_number[17]


def read_truth(directory: Path) -> list[tuple[Path, dict]]:
    manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    return [(directory / e["image"], json.loads((directory / e["truth"]).read_text(encoding="utf-8")))
            for e in manifest["images"]]


def decode_qr(image: Path) -> list[str]:
    with Image.open(image) as picture:
        return [result.text for result in zxingcpp.read_barcodes(picture)]


@pytest.fixture(scope="module")
def forged_set(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One image per forgery code (21 images: DUPLICATE_NUMBER makes two)."""
    out = tmp_path_factory.mktemp("forged")
    generate_set(out, count=len(FORGERIES) + 1, seed=5, variants=["ALL"])
    return out


@pytest.fixture(scope="module")
def genuine_set(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("genuine")
    generate_set(out, count=9, seed=2, variants=["genuine"])
    return out


def test_same_seed_gives_identical_bytes(tmp_path: Path) -> None:
    options = dict(count=4, seed=9, variants=["genuine", "TAMPERING", "QR_UNREADABLE"], captures=["phone", "scan"])
    generate_set(tmp_path / "a", **options)
    generate_set(tmp_path / "b", **options)
    generate_set(tmp_path / "c", **{**options, "seed": 10})
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "b").iterdir())
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert (tmp_path / "a" / "manifest.json").read_bytes() != (tmp_path / "c" / "manifest.json").read_bytes()


@pytest.mark.parametrize("kind_id", sorted(KINDS))
def test_drawn_genuine_values_obey_the_kind(kind_id: str) -> None:
    kind = KINDS[kind_id]
    rng = random.Random(kind_id)
    for _ in range(200):
        values = draw_values(kind, rng, DEFAULT_AS_OF)
        assert kind.number_pattern.fullmatch(values.number)
        assert check_digit_ok(values.id_number)
        assert (values.sex == "男") == (int(values.id_number[16]) % 2 == 1)
        birth = date(int(values.id_number[6:10]), int(values.id_number[10:12]), int(values.id_number[12:14]))
        assert add_years(birth, 18) <= values.first_issued
        assert values.first_issued <= values.valid_from <= DEFAULT_AS_OF < values.valid_until
        full_span = add_years(values.valid_from, kind.validity_years)
        assert timedelta(0) <= full_span - values.valid_until <= timedelta(days=kind.validity_tolerance_days)
        assert (values.category, values.item) in {(r.category, r.item) for r in kind.catalogue} | \
            {(r.category, r.item_code) for r in kind.catalogue}


def test_genuine_ground_truth_is_consistent(genuine_set: Path) -> None:
    for image, truth in read_truth(genuine_set):
        kind, fields = KINDS[truth["scheme"]], truth["fields"]
        assert truth["variant"] == "genuine" and truth["expected_codes"] == []
        assert kind.number_pattern.fullmatch(fields["number"])
        assert check_digit_ok(fields["id_number"])
        if kind.embeds_id_number:
            assert fields["id_number"] == fields["number"].removeprefix("T")
        assert (fields["sex"] == "男") == (int(fields["id_number"][16]) % 2 == 1)
        valid_from, valid_until = date.fromisoformat(fields["valid_from"]), date.fromisoformat(fields["valid_until"])
        assert valid_from <= date.fromisoformat(truth["as_of"]) < valid_until
        assert 0 <= (add_years(valid_from, kind.validity_years) - valid_until).days <= kind.validity_tolerance_days
        assert truth["render"]["title"] in kind.titles
        if kind.qr_required:
            assert truth["qr_payload"] and truth["render"]["qr_symbol"]
        with Image.open(image) as picture:
            width, height = picture.size
        if truth["field_boxes"] is not None:
            assert set(truth["field_boxes"]) >= {"number", "name", "sex", "category", "valid_until", "authority"}
            for x, y, w, h in truth["field_boxes"].values():
                assert 0 <= x and 0 <= y and x + w <= width and y + h <= height
        corners = truth["card_box"]
        assert all(0 <= v <= max(width, height) for v in corners) and len(corners) == 8


def test_genuine_qr_decodes_to_its_payload(genuine_set: Path) -> None:
    for image, truth in read_truth(genuine_set):
        if truth["qr_payload"]:
            assert truth["qr_payload"] in decode_qr(image), image.name


def test_every_finding_code_has_a_forgery() -> None:
    assert set(FORGERIES) == set(CATALOGUE)


def test_forged_set_raises_every_code(forged_set: Path) -> None:
    truths = [truth for _image, truth in read_truth(forged_set)]
    assert {code for t in truths for code in t["expected_codes"]} == set(CATALOGUE)
    assert {t["variant"] for t in truths} == set(CATALOGUE)


def test_forgeries_break_the_fact_they_claim(forged_set: Path) -> None:
    as_of = date.fromisoformat("2026-07-01")
    by_variant: dict[str, list[tuple[Path, dict]]] = {}
    for image, truth in read_truth(forged_set):
        by_variant.setdefault(truth["variant"], []).append((image, truth))
    rows = csv.DictReader(io.StringIO((forged_set / "register.csv").read_text(encoding="utf-8")))
    register = {(r["scheme"], r["number"]): r for r in rows}

    def only(code: str) -> tuple[Path, dict, dict]:
        (image, truth), = by_variant[code]
        return image, truth, truth["fields"]

    _, truth, fields = only("NUMBER_INVALID")
    assert not KINDS[truth["scheme"]].number_pattern.fullmatch(fields["number"])
    _, truth, fields = only("NUMBER_CHECKSUM")
    assert len(fields["id_number"]) == 18 and not check_digit_ok(fields["id_number"])
    _, truth, fields = only("SEX_MISMATCH")
    assert (fields["sex"] == "男") != (int(fields["id_number"][16]) % 2 == 1)
    _, truth, fields = only("EXPIRED")
    assert date.fromisoformat(fields["valid_until"]) < as_of
    _, truth, fields = only("VALIDITY_SPAN")
    kind = KINDS[truth["scheme"]]
    span = date.fromisoformat(fields["valid_until"]) - date.fromisoformat(fields["valid_from"])
    assert abs(span.days - 365.25 * kind.validity_years) > 30
    _, truth, fields = only("CATEGORY_UNKNOWN")
    assert fields["category"] not in {r.category for r in KINDS[truth["scheme"]].catalogue}
    _, truth, fields = only("QR_MISSING")
    assert KINDS[truth["scheme"]].qr_required and truth["qr_payload"] is None and not truth["render"]["qr_symbol"]
    image, truth, _ = only("QR_UNREADABLE")
    assert truth["render"]["qr_symbol"] and truth["qr_payload"] is None and decode_qr(image) == []
    for code in ("QR_UNOFFICIAL_HOST", "QR_LOOKALIKE_HOST"):
        _, truth, _ = only(code)
        assert urlsplit(truth["qr_payload"]).hostname not in KINDS[truth["scheme"]].official_hosts
    _, truth, fields = only("QR_MISMATCH")
    assert fields["number"] not in unquote(truth["qr_payload"])
    _, truth, fields = only("REGISTRY_NOT_FOUND")
    assert (truth["scheme"], fields["number"]) not in register
    _, truth, fields = only("REGISTRY_MISMATCH")
    assert register[(truth["scheme"], fields["number"])]["name"] != fields["name"]
    _, truth, fields = only("REGISTRY_REVOKED")
    assert register[(truth["scheme"], fields["number"])]["status"] == "revoked"
    (_, first), (_, second) = by_variant["DUPLICATE_NUMBER"]
    assert first["fields"]["number"] == second["fields"]["number"]
    assert first["fields"]["name"] != second["fields"]["name"]
    assert register[(first["scheme"], first["fields"]["number"])]["name"] == first["fields"]["name"]
    _, truth, _ = only("LAYOUT_MISMATCH")
    assert not truth["render"]["layout"].startswith("title-top")
    _, truth, _ = only("FIELD_UNREADABLE")
    assert truth["render"]["unreadable_fields"]
    _, truth, fields = only("UNKNOWN_KIND")
    assert truth["scheme"] is None and set(fields.values()) == {None}
    for image, truth in read_truth(forged_set):
        if truth["variant"] not in ("REGISTRY_NOT_FOUND", "UNKNOWN_KIND") and truth["expected_codes"] != [
                "DUPLICATE_NUMBER", "REGISTRY_MISMATCH"]:
            assert (truth["scheme"], truth["fields"]["number"]) in register, truth["variant"]


def test_construction_category_mismatch_changes_the_code_in_the_number() -> None:
    kind = KINDS["construction_operation"]
    plan, = plans_for("CATEGORY_MISMATCH", kind, random.Random(4), DEFAULT_AS_OF)
    code = kind.number_pattern.fullmatch(plan.values.number).group("category_code")
    printed = next(r.category_code for r in kind.catalogue if r.category == plan.values.category)
    assert code != printed and code in {r.category_code for r in kind.catalogue}


def test_item_kinds_category_mismatch_prints_an_item_of_another_category() -> None:
    kind = KINDS["special_operation"]
    plan, = plans_for("CATEGORY_MISMATCH", kind, random.Random(4), DEFAULT_AS_OF)
    assert (plan.values.category, plan.values.item) not in {(r.category, r.item) for r in kind.catalogue}
    assert plan.values.item in {r.item for r in kind.catalogue}


def test_lookalike_hosts_imitate_but_are_not_official() -> None:
    official = KINDS["special_operation"].official_hosts
    rng = random.Random(1)
    hosts = {lookalike_host("cx.mem.gov.cn", official, rng) for _ in range(60)}
    assert not hosts & official
    assert {"cx-mem-gov.cn", "cx.mem.gov.cn.cert-check.net", "cx.mern.gov.cn"} <= hosts


def test_new_kind_file_renders_from_its_data(tmp_path: Path) -> None:
    kinds_dir = tmp_path / "kinds"
    kinds_dir.mkdir()
    (kinds_dir / "test_welding.yaml").write_text(NEW_KIND_YAML, encoding="utf-8")
    kind = load_kinds(kinds_dir)["test_welding"]
    design = design_card(kind, draw_values(kind, random.Random(0), DEFAULT_AS_OF), random.Random(0))
    assert design.title in kind.titles
    assert {row.label for row in design.rows} <= {label for f in kind.data["fields"].values() for label in f["labels"]}

    generate_set(tmp_path / "out", count=4, seed=1, kinds=[kind], variants=["genuine", "CATEGORY_MISMATCH"],
                 captures=["scan"])
    for image, truth in read_truth(tmp_path / "out"):
        assert truth["scheme"] == "test_welding" and truth["render"]["title"] in kind.titles
        match = kind.number_pattern.fullmatch(truth["fields"]["number"])
        assert match and match.group("province") in kind.provinces
        assert match.group("year") == truth["fields"]["first_issued"][:4]
        assert urlsplit(truth["qr_payload"]).hostname == "hg.example.gov.cn"
        assert truth["qr_payload"] in decode_qr(image)
        if truth["variant"] == "genuine":
            row = next(r for r in kind.catalogue if r.category == truth["fields"]["category"])
            assert match.group("category_code") == row.category_code


def test_number_pattern_sampling() -> None:
    pattern = KINDS["construction_operation"].number_pattern
    rng = random.Random(3)
    number = sample_match(pattern, rng, {"province": "晋", "category_code": "01", "year": "2008"})
    assert number.startswith("晋") and number[2:8] == "012008" and pattern.fullmatch(number)
    assert replace_group(pattern, "晋A012008000001", "serial", "000002") == "晋A012008000002"
    with pytest.raises(ValueError):
        sample_match(pattern, rng, {"year": "1850"})


def test_plan_spreads_variants_over_kinds_and_captures() -> None:
    kinds = sorted(KINDS.values(), key=lambda k: k.id)
    jobs = plan_jobs(kinds, ["genuine", *FORGERIES], ["scan", "phone", "lowres"], 30)
    assert sum(job.images for job in jobs) == 30
    assert {(j.kind.id, j.capture) for j in jobs if j.variant == "genuine"} == \
        {(k.id, c) for k in kinds for c in ("scan", "phone", "lowres")}
    assert {j.variant for j in jobs} == {"genuine", *FORGERIES}
    for kind in kinds:
        assert len({j.capture for j in jobs if j.variant != "genuine" and j.kind == kind}) == 3, kind.id


def test_committed_set_matches_its_manifest_and_budget() -> None:
    manifest = json.loads((COMMITTED / "manifest.json").read_text(encoding="utf-8"))
    listed = {"manifest.json", manifest["register"]}
    for entry in manifest["images"]:
        data = (COMMITTED / entry["image"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], entry["image"]
        truth = json.loads((COMMITTED / entry["truth"]).read_text(encoding="utf-8"))
        assert (truth["variant"], truth["capture"], truth["expected_codes"]) == \
            (entry["variant"], entry["capture"], entry["expected_codes"])
        with Image.open(io.BytesIO(data)) as picture:
            picture.verify()
        listed |= {entry["image"], entry["truth"]}
    assert {p.name for p in COMMITTED.iterdir()} == listed
    assert sum(p.stat().st_size for p in COMMITTED.iterdir()) <= MAX_COMMITTED_BYTES
    assert 24 <= len(manifest["images"]) <= 30
    assert {code for e in manifest["images"] for code in e["expected_codes"]} == set(CATALOGUE)
    genuine = {(e["scheme"], e["capture"]) for e in manifest["images"] if e["variant"] == "genuine"}
    assert genuine == {(k, c) for k in KINDS for c in ("scan", "phone", "lowres")}
    rotations = [json.loads((COMMITTED / e["truth"]).read_text(encoding="utf-8"))["rotation"]
                 for e in manifest["images"] if e["variant"] == "genuine" and e["capture"] == "phone"]
    assert any(rotations)
