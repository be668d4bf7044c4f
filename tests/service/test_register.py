"""Register extracts: strict CSV reading with line-numbered errors, upserts, and indexed look-ups."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import inspect, select, text

from service.db import db_session
from service.models import RegisterEntry
from service.registry import COLUMNS, ImportCounts, RegisterFileError, SqlRegister, import_records, read_register_csv
from verification.facts import RegisterRecord

HEADER = ",".join(COLUMNS)
ID_NUMBER = "11010519491231002X"  # the GB 11643 standard's published example, not a real person
ROW = (f"special_operation,T{ID_NUMBER},张三,{ID_NUMBER},电工作业,低压电工作业,2022-03-01,2028-02-29,"
        "北京市应急管理局,valid")
SCHEMES = {"special_operation", "special_equipment"}


def write_csv(tmp_path, *rows: str, header: str = HEADER):
    path = tmp_path / "register.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def errors_for(tmp_path, *rows: str, header: str = HEADER) -> list[str]:
    with pytest.raises(RegisterFileError) as raised:
        read_register_csv(write_csv(tmp_path, *rows, header=header), SCHEMES)
    return raised.value.errors


def test_a_good_file_reads_into_records(tmp_path):
    (record,) = read_register_csv(write_csv(tmp_path, ROW), SCHEMES)
    assert record == RegisterRecord("special_operation", f"T{ID_NUMBER}", "张三", ID_NUMBER, "电工作业", "低压电工作业",
                                    date(2022, 3, 1), date(2028, 2, 29), "北京市应急管理局", "valid")


def test_excel_byte_order_mark_and_empty_optional_cells(tmp_path):
    path = tmp_path / "register.csv"
    path.write_text("\ufeff" + HEADER + "\nspecial_equipment,TZ1,,,,,,,,revoked\n", encoding="utf-8")
    (record,) = read_register_csv(path, SCHEMES)
    assert (record.name, record.first_issued, record.status) == (None, None, "revoked")


@pytest.mark.parametrize(("row", "expected"), [
    (ROW.replace("special_operation", "driving_licence"), "line 3: scheme: must be one of"),
    (ROW.replace(f"T{ID_NUMBER}", ""), "line 3: number: is empty"),
    (ROW.replace("2028-02-29", "2028-02-30"), "line 3: valid_until: not a date"),
    (ROW.replace("2022-03-01", "01/03/2022"), "line 3: first_issued: not a date"),
    (ROW.replace(",valid", ",fine"), "line 3: status: must be one of"),
    (ROW + ",extra", "line 3: more cells than columns"),
])
def test_bad_rows_are_named_by_line_and_column(tmp_path, row, expected):
    errors = errors_for(tmp_path, ROW.replace("张三", "李四").replace(ID_NUMBER, "110105194912310021"), row)
    assert len(errors) == 1 and errors[0].startswith(expected), errors


def test_errors_never_quote_personal_numbers(tmp_path):
    bad = ROW.replace("2028-02-29", "someday").replace(",valid", ",bogus")
    errors = errors_for(tmp_path, bad, bad.replace("special_operation", "nope"))
    assert errors and not any(ID_NUMBER in error for error in errors)


def test_a_certificate_listed_twice_is_an_error(tmp_path):
    assert errors_for(tmp_path, ROW, ROW) == ["line 3: number: the same certificate is already on line 2"]


def test_a_wrong_header_is_refused(tmp_path):
    (error,) = errors_for(tmp_path, ROW, header=HEADER.replace("authority", "issuer"))
    assert error.startswith("line 1:") and "missing: authority" in error and "unknown: issuer" in error


def record(number: str, status: str = "valid", name: str = "张三") -> RegisterRecord:
    return RegisterRecord("special_operation", number, name, None, None, None, None, None, None, status)


def test_import_adds_then_updates_and_lookups_find_rows(db_app):
    with db_app.app_context():
        session = db_session()
        assert import_records(session, [record("T1"), record("T2")], "a.csv") == ImportCounts(2, 0)
        assert import_records(session, [record("T2", "revoked", "李四"), record("T3")], "b.csv") == ImportCounts(1, 1)
        register = SqlRegister(session)
        assert register.schemes() == {"special_operation"}
        assert register.find("special_operation", "T2") == record("T2", "revoked", "李四")
        assert register.find("special_operation", "T9") is None
        assert register.find("special_equipment", "T1") is None


def test_schemes_are_found_one_by_one_through_the_index(db_app):
    with db_app.app_context():
        session = db_session()
        assert SqlRegister(session).schemes() == set()
        rows = [RegisterRecord(scheme, number, None, None, None, None, None, None, None, "valid")
                for scheme in ("special_operation", "construction_operation", "special_equipment")
                for number in ("A1", "B2")]
        import_records(session, rows, "a.csv")
        assert SqlRegister(session).schemes() == {"special_operation", "construction_operation", "special_equipment"}


def test_register_lookups_use_the_unique_index_on_scheme_and_number(db_app):
    with db_app.app_context():
        session = db_session()
        indexes = inspect(session.get_bind()).get_indexes("register_entries")
        assert any(index["column_names"] == ["scheme", "number"] and index["unique"] for index in indexes), indexes
        import_records(session, [record(f"T{i}") for i in range(50)], "a.csv")
        query = select(RegisterEntry).where(RegisterEntry.scheme == "special_operation", RegisterEntry.number == "T7")
        sql = str(query.compile(session.get_bind(), compile_kwargs={"literal_binds": True}))
        if session.get_bind().dialect.name == "sqlite":
            plan = " ".join(row[-1] for row in session.execute(text(f"EXPLAIN QUERY PLAN {sql}")))
        else:
            session.execute(text("SET LOCAL enable_seqscan = off"))  # a 50-row table is cheaper to scan
            plan = " ".join(row[0] for row in session.execute(text(f"EXPLAIN {sql}")))
        assert "ix_register_entries_scheme_number" in plan, plan
