"""A month of campaign data, stored straight into the database, with the forms it must give.

October 2026 (Beijing time) in three districts: 东城区 with two units (one without a ledger), 西城区 with
one, 朝阳区 with none. Every figure below is counted by hand from the rows this module adds.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from district_helpers import add_places
from ledger_helpers import fake_number
from review_helpers import contract
from sqlalchemy import update

from service.db import db_session
from service.ledger import LedgerRow, replace_ledger
from service.models import Check, Decision, User
from service.reports.figures import save_figures
from service.reports.forms import FORM_A, FORM_B
from service.review import decide

OCTOBER = date(2026, 10, 1)
DAY = datetime(2026, 10, 10, 2, 0, tzinfo=UTC)  # 10:00 in Beijing
SEPTEMBER_DAY = datetime(2026, 9, 30, 15, 30, tzinfo=UTC)  # 23:30 on 30 September in Beijing
VALID_UNTIL = date(2030, 1, 1)

# Form A for October 2026, row by row (check_rate in %), and the total.
FORM_A_OCTOBER = {
    "东城区": {"self_checked_units": 2, "certificates_checked": 6, "check_rate": Decimal("66.7"), "no_ledger": 1,
             "forged": 1, "lent": 1, "expired": 1, "unlicensed": 3, "post_mismatch": 1},
    "西城区": {"self_checked_units": 1, "certificates_checked": 1, "check_rate": Decimal("50.0"), "no_ledger": 0,
             "forged": 1, "lent": 0, "expired": 0, "unlicensed": 1, "post_mismatch": 0},
    "朝阳区": {"self_checked_units": 0, "certificates_checked": 0, "check_rate": None, "no_ledger": 0,
             "forged": 0, "lent": 0, "expired": 0, "unlicensed": 0, "post_mismatch": 0},
    "合计": {"self_checked_units": 3, "certificates_checked": 7, "check_rate": Decimal("60.0"), "no_ledger": 1,
           "forged": 2, "lent": 1, "expired": 1, "unlicensed": 4, "post_mismatch": 1},
}
# What supervisors enter for October on Form B, and the form it gives with the counted 查获假冒证件.
FORM_B_ENTERED = {
    "东城区": {"officers": 12, "units_inspected": 5, "orders": 2, "cases": 1, "dens": 0, "fines": Decimal("1.50"),
             "transfers": 1, "exposures": 0, "accountability": 0},
    "西城区": {"officers": 8, "units_inspected": 3, "orders": 1, "cases": 1, "dens": 1, "fines": Decimal("2.25"),
             "transfers": 0, "exposures": 2, "accountability": 1},
}
FORM_B_OCTOBER = {
    "东城区": {**FORM_B_ENTERED["东城区"], "fakes_seized": 1},
    "西城区": {**FORM_B_ENTERED["西城区"], "fakes_seized": 1},
    "朝阳区": {key: 0 for key in FORM_B_ENTERED["东城区"]} | {"fines": Decimal("0.00"), "fakes_seized": 0},
    "合计": {"officers": 20, "units_inspected": 8, "orders": 3, "cases": 2, "dens": 1, "fines": Decimal("3.75"),
           "transfers": 1, "exposures": 2, "accountability": 1, "fakes_seized": 2},
}
ON_SITE_UNLICENSED = 2  # Form A's entered part: 东城区's operators found on site without a certificate


def add_check(user: User, unit_id: int | None, number: str | None, *, verdict: str = "pass",
              codes: tuple[str, ...] = (), at: datetime = DAY) -> Check:
    check = Check(user_id=user.id, unit_id=unit_id, source="card.png", original_name=None, sha256="0" * 64,
                  storage_key="0" * 32, media_type="image/png", as_of=at.date(), created_at=at,
                  scheme="special_operation", number=number, verdict=verdict,
                  result=contract(verdict=verdict, codes=codes, number=number, name="张三", id_number=None))
    db_session().add(check)
    db_session().commit()
    return check


def judge(check: Check, reviewer: User, category: str | None, at: datetime = DAY + timedelta(days=5)) -> None:
    """A counterfeit decision of `category` (None: genuine), dated `at`."""
    form = {"decision": "counterfeit", "category": category} if category else {"decision": "genuine"}
    decision = decide(db_session(), check, reviewer, form)
    db_session().execute(update(Decision).where(Decision.id == decision.id).values(created_at=at))
    db_session().commit()


def add_october(inspector: User, reviewer: User, supervisor: User) -> dict[str, int]:
    """The month's data (see the module's docstring); returns the units' ids by name."""
    units = add_places()
    jingan, donghua, xisi = (units[name].id for name in ("京安建筑有限公司", "东华起重设备公司", "西四机电安装公司"))
    n = {serial: fake_number(serial) for serial in range(1, 9)}
    # 东城区 · 京安: a card checked twice, a check whose number was not read, an expired card, a forgery.
    add_check(inspector, jingan, n[1])
    add_check(inspector, jingan, n[1], at=DAY + timedelta(days=1))
    add_check(inspector, jingan, None)
    add_check(inspector, jingan, n[2], verdict="reject", codes=("EXPIRED",))
    judge(add_check(inspector, jingan, n[3], verdict="reject", codes=("QR_MISMATCH",)), reviewer, "forged")
    # 东城区 · 东华 (no ledger): a lent card, and a card judged altered then found genuine after all.
    judge(add_check(inspector, donghua, n[4], verdict="suspect", codes=("DUPLICATE_NUMBER",)), reviewer, "lent")
    withdrawn = add_check(inspector, donghua, n[5], verdict="suspect", codes=("TAMPERING",))
    judge(withdrawn, reviewer, "altered")
    judge(withdrawn, reviewer, None, at=DAY + timedelta(days=6))
    # 西城区 · 西四: a card shown by someone who holds none; in September an expired card, and a card
    # judged 冒用 only in October.
    judge(add_check(inspector, xisi, n[6], verdict="suspect", codes=("REGISTRY_NOT_FOUND",)), reviewer, "unlicensed")
    add_check(inspector, xisi, n[7], verdict="reject", codes=("EXPIRED",), at=SEPTEMBER_DAY)
    judge(add_check(inspector, xisi, fake_number(9), verdict="suspect", codes=("LAYOUT_MISMATCH",), at=SEPTEMBER_DAY),
          reviewer, "impersonated")
    add_check(inspector, None, fake_number(10))  # made before districts existed: in no row
    replace_ledger(db_session(), units["京安建筑有限公司"], [
        LedgerRow("张三", "电工", "special_operation", n[1], "低压电工作业", VALID_UNTIL),
        LedgerRow("李四", "焊工", "special_operation", n[2], "熔化焊接与热切割作业", VALID_UNTIL),
        LedgerRow("王五", "电工", "special_operation", n[8], "叉车司机", VALID_UNTIL),  # item does not fit the post
        LedgerRow("赵六", "架子工", None, None, None, None),  # no certificate
    ], "jingan.xlsx")
    replace_ledger(db_session(), units["西四机电安装公司"], [
        LedgerRow("钱七", "电工", "special_operation", n[6], "低压电工作业", VALID_UNTIL),
        LedgerRow("孙八", "电工", "special_operation", n[7], "高压电工作业", VALID_UNTIL),
    ], "xisi.xlsx")
    district_ids = {unit.district.name: unit.district_id for unit in units.values()}
    save_figures(db_session(), FORM_A, OCTOBER, {(district_ids["东城区"], "unlicensed"): Decimal(ON_SITE_UNLICENSED)},
                 supervisor)
    save_figures(db_session(), FORM_B, OCTOBER, {(district_ids[district], key): Decimal(value)
                                                 for district, values in FORM_B_ENTERED.items()
                                                 for key, value in values.items()}, supervisor)
    return {name: unit.id for name, unit in units.items()}
