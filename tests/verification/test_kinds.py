"""Kind files: validated on load, errors name the file and key, new kinds need no code."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from verification.kinds import BUILTIN_DIR, KindFileError, load_kind, load_kinds


def write_kind(directory: Path, kind_id: str, **changes) -> Path:
    data = yaml.safe_load((BUILTIN_DIR / "special_equipment.yaml").read_text(encoding="utf-8"))
    data.update(id=kind_id, **changes)
    path = directory / f"{kind_id}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_builtin_kinds_carry_the_documented_facts():
    kinds = load_kinds()
    assert kinds["special_operation"].validity_years == 6
    assert kinds["construction_operation"].validity_years == 2
    assert kinds["special_equipment"].validity_years == 4
    assert "cx.mem.gov.cn" in kinds["special_operation"].official_hosts
    assert "cnse.samr.gov.cn" in kinds["special_equipment"].official_hosts
    assert "zjt.shanxi.gov.cn" in kinds["construction_operation"].official_hosts
    codes = {row.category_code for row in kinds["construction_operation"].catalogue}
    assert codes == {f"{n:02d}" for n in range(1, 12)} | {"99"}
    item_codes = {row.item_code for row in kinds["special_equipment"].catalogue}
    assert item_codes == {"A", "G1", "G2", "G3", "R1", "R2", "R3", "P", "T", "Q1", "Q2", "S1", "S2",
                          "Y1", "Y2", "N1", "N2", "F"}
    assert kinds["construction_operation"].number_pattern.match("豫A012019000123")
    assert kinds["special_operation"].number_pattern.match("T11010519491231002X")
    assert not kinds["special_operation"].number_pattern.match("T1101051949123100")


def test_a_number_that_begins_with_a_province_character_tells_the_reader_each_ones_province():
    kinds = load_kinds()
    [number] = [f for f in kinds["construction_operation"].document_spec.fields if f.name == "number"]
    assert ("川", "四川") in number.heads and ("黔", "贵州") in number.heads and ("贵", "贵州") in number.heads
    assert all(not f.heads for f in kinds["special_operation"].document_spec.fields)


def test_every_kind_cites_its_sources():
    for kind in load_kinds().values():
        assert {"validity", "number", "catalogue", "hosts"} <= set(kind.data["sources"])


@pytest.mark.parametrize(("changes", "key"), [
    ({"validity": {"years": "four"}}, "validity.years"),
    ({"titles": []}, "titles"),
    ({"qr": {"required": True, "official_hosts": ["Bad Host!"]}}, "qr.official_hosts.0"),
    ({"unexpected": 1}, "(top level)"),
    ({"fields": {"name": {"labels": ["姓名"]}, "number": {"labels": []}}}, "fields.number.labels"),
    ({"fields": {"name": {"labels": ["姓名"]}, "number": {"labels": ["号"]}, "shoe_size": {"labels": ["鞋"]}}},
     "fields.shoe_size"),
    ({"number": {"pattern": "([0-9"}}, "number.pattern"),
])
def test_schema_errors_name_the_file_and_key(tmp_path, changes, key):
    path = write_kind(tmp_path, "provincial_variant", **changes)
    with pytest.raises(KindFileError) as error:
        load_kind(path)
    assert str(error.value).startswith(f"provincial_variant.yaml: {key}")


def test_id_must_match_file_name(tmp_path):
    path = write_kind(tmp_path, "welders")
    path.rename(tmp_path / "other.yaml")
    with pytest.raises(KindFileError, match="other.yaml: id"):
        load_kind(tmp_path / "other.yaml")


def test_unparseable_yaml_names_the_file(tmp_path):
    (tmp_path / "broken.yaml").write_text("id: [unclosed", encoding="utf-8")
    with pytest.raises(KindFileError, match="broken.yaml: cannot read"):
        load_kinds(tmp_path)


def test_extra_directory_adds_a_kind(tmp_path):
    write_kind(tmp_path, "provincial_welder", titles=["某省焊工作业证"])
    kinds = load_kinds(tmp_path)
    assert kinds["provincial_welder"].titles == ("某省焊工作业证",)
    assert "某省焊工作业证" in kinds["provincial_welder"].document_spec.titles
