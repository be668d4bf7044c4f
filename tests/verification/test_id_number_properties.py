"""Property tests: the GB 11643 check is exact, for any ID number, not just the examples."""

from __future__ import annotations

from datetime import date

from helpers import GENUINE, context, make_reading
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import ric

from verification.verify import verify

birth_dates = st.dates(min_value=date(1940, 1, 1), max_value=date(2004, 12, 31))
regions = st.sampled_from(["110105", "410102", "510602", "320102", "440106"])
sequences = st.integers(min_value=0, max_value=999)


def with_check_digit(body: str) -> str:
    return body + ric.calc_check_digit(body + "0")


def codes_for(number: str, sex: str) -> set[str]:
    fields = {**GENUINE["special_equipment"], "number": number, "sex": sex}
    return {f.code for f in verify(make_reading("special_equipment", fields), context("special_equipment")).findings}


@given(regions, birth_dates, sequences)
def test_any_well_formed_id_passes_the_number_rules(region, born, sequence):
    number = with_check_digit(f"{region}{born:%Y%m%d}{sequence:03d}")
    sex = "男" if sequence % 2 else "女"
    assert not codes_for(number, sex) & {"NUMBER_INVALID", "NUMBER_CHECKSUM", "SEX_MISMATCH"}


@given(regions, birth_dates, sequences, st.sampled_from("0123456789X"))
def test_any_wrong_check_digit_is_caught(region, born, sequence, digit):
    body = f"{region}{born:%Y%m%d}{sequence:03d}"
    if digit == ric.calc_check_digit(body + "0"):
        digit = "X" if digit != "X" else "0"
    sex = "男" if sequence % 2 else "女"
    assert "NUMBER_CHECKSUM" in codes_for(body + digit, sex)


@given(regions, birth_dates, sequences)
def test_sex_opposite_to_digit_17_is_caught(region, born, sequence):
    number = with_check_digit(f"{region}{born:%Y%m%d}{sequence:03d}")
    wrong_sex = "女" if sequence % 2 else "男"
    assert "SEX_MISMATCH" in codes_for(number, wrong_sex)
