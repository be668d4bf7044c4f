"""The two report forms of the campaign plans: their titles and columns, exactly as the authority prints them,
and where each column's figure comes from (see certificates.md §8)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Source(StrEnum):
    computed = "computed"  # counted from certguard's data
    entered = "entered"  # entered by supervisors, per district and month
    both = "computed+entered"  # counted, plus what supervisors enter that the data cannot hold


SOURCE_LABELS = {Source.computed: "数据", Source.entered: "填报", Source.both: "数据+填报"}


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # exactly as on the form
    source: Source
    explanation: str  # how the figure is made, for the page
    decimals: int = 0
    count: str | None = None  # the count it shows when not its own key (service.reports.compute.COUNTED_KEYS)


@dataclass(frozen=True)
class ReportForm:
    id: str  # form-a | form-b: the URLs' and the stored figures' name
    title: str
    area_header: str  # the first column: 区县 on Form A, 县区 on Form B, as printed
    columns: tuple[Column, ...]

    @property
    def headers(self) -> list[str]:
        return [self.area_header, *(column.header for column in self.columns)]

    @property
    def entered_columns(self) -> tuple[Column, ...]:
        return tuple(column for column in self.columns if column.source != Source.computed)


CONFIRMED = "confirmed in the period by a reviewer's decision or the issuing authority's answer"
FORM_A = ReportForm("form-a", "建筑施工特种设备使用单位自查情况统计表", "区县", (
    Column("self_checked_units", "自查单位数", Source.computed,
           "using units of the district with at least one card checked in the period"),
    Column("certificates_checked", "查验证件数", Source.computed,
           "certificates checked in the period (a card checked twice counts once; a check whose number was not "
           "read counts alone)"),
    Column("check_rate", "查验率(%)", Source.computed,
           "of the certificates on the district's ledgers, the share checked in the period (blank without ledgers)",
           decimals=1),
    Column("no_ledger", "未建作业人员台账(起)", Source.computed,
           "units that checked cards in the period but have imported no operator ledger"),
    Column("forged", "伪造涂改冒用证件(件)", Source.computed, f"certificates 伪造, 变造·涂改 or 冒用, {CONFIRMED}"),
    Column("lent", "转借转让证件(个)", Source.computed,
           f"certificates 转借·转让, {CONFIRMED} (a duplicate number counts once a reviewer decides it)"),
    Column("expired", "过期证件(个)", Source.computed,
           f"certificates checked in the period and found expired, or 过期 {CONFIRMED}"),
    Column("unlicensed", "无证上岗(个)", Source.both,
           f"operators on the district's ledgers without a certificate, plus 无证 {CONFIRMED}, plus those found "
           "on site that supervisors enter"),
    Column("post_mismatch", "作业项目与岗位不符(人)", Source.computed,
           "operators on the district's ledgers whose certificate's item does not fit their post"),
))
FORM_B = ReportForm("form-b", "打击假冒特种设备作业操作证专项治理行动统计报表", "县区", (
    Column("officers", "出动执法人员数(人次)", Source.entered, "entered by supervisors"),
    Column("units_inspected", "检查单位数(家)", Source.entered, "entered by supervisors"),
    Column("orders", "下达监察指令书(份)", Source.entered, "entered by supervisors"),
    Column("cases", "查办违法案件(起)", Source.entered, "entered by supervisors"),
    Column("dens", "捣毁制假售假窝点(个)", Source.entered, "entered by supervisors"),
    Column("fakes_seized", "查获假冒证件(个)", Source.computed,
           f"certificates confirmed counterfeit (伪造, 变造·涂改 or 冒用), {CONFIRMED}: Form A's 伪造涂改冒用证件",
           count="forged"),
    Column("fines", "经济处罚(万元)", Source.entered, "entered by supervisors", decimals=2),
    Column("transfers", "案件移送(件)", Source.entered, "entered by supervisors"),
    Column("exposures", "曝光违法行为(起)", Source.entered, "entered by supervisors"),
    Column("accountability", "责任追究(人)", Source.entered, "entered by supervisors"),
))
FORMS = {form.id: form for form in (FORM_A, FORM_B)}
