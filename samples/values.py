"""The values printed on a synthetic certificate, drawn so that a genuine card passes every rule.

A genuine card is internally consistent: the ID number has a valid GB 11643 check digit, the printed
sex matches the parity of its 17th digit, the holder was at least 18 at first issue, the validity span
is the kind's, the category and item come from the kind's catalogue and the number is built from the
kind's own pattern. Forged variants start from these values and break exactly one of those facts.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import date, timedelta

from stdnum.cn import ric

from ocr.normalise import add_years
from samples.patterns import sample_match
from verification.kinds import CatalogueItem, Kind

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
COMPOUND_SURNAMES = ("欧阳", "司马", "诸葛", "上官", "皇甫")
GIVEN_MALE = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宁建国志海峰林东文龙俊亮成晨宇浩凯兵永庆春振德新"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞秀玲燕桂英红梅琳婷雪慧颖倩洁兰萍晶璐月丹欣琴云凤佳莉"


@dataclass(frozen=True)
class Province:
    """A province-level division: short name, full name, one-character 简称, and (city, 行政区划码) pairs."""

    short: str
    full: str
    abbr: str
    cities: tuple[tuple[str, str], ...]

    @property
    def is_municipality(self) -> bool:
        return self.full.endswith("市")


PROVINCES = (
    Province("北京", "北京市", "京", (("北京市", "110105"), ("北京市", "110108"))),
    Province("天津", "天津市", "津", (("天津市", "120104"),)),
    Province("河北", "河北省", "冀", (("石家庄市", "130104"), ("唐山市", "130203"))),
    Province("山西", "山西省", "晋", (("太原市", "140105"), ("大同市", "140213"))),
    Province("内蒙古", "内蒙古自治区", "蒙", (("呼和浩特市", "150102"), ("包头市", "150203"))),
    Province("辽宁", "辽宁省", "辽", (("沈阳市", "210102"), ("大连市", "210202"))),
    Province("吉林", "吉林省", "吉", (("长春市", "220102"),)),
    Province("黑龙江", "黑龙江省", "黑", (("哈尔滨市", "230103"),)),
    Province("上海", "上海市", "沪", (("上海市", "310104"), ("上海市", "310115"))),
    Province("江苏", "江苏省", "苏", (("南京市", "320102"), ("苏州市", "320505"))),
    Province("浙江", "浙江省", "浙", (("杭州市", "330106"), ("宁波市", "330203"))),
    Province("安徽", "安徽省", "皖", (("合肥市", "340104"),)),
    Province("福建", "福建省", "闽", (("福州市", "350102"), ("厦门市", "350203"))),
    Province("江西", "江西省", "赣", (("南昌市", "360102"),)),
    Province("山东", "山东省", "鲁", (("济南市", "370102"), ("青岛市", "370202"))),
    Province("河南", "河南省", "豫", (("郑州市", "410105"), ("洛阳市", "410302"))),
    Province("湖北", "湖北省", "鄂", (("武汉市", "420106"), ("宜昌市", "420502"))),
    Province("湖南", "湖南省", "湘", (("长沙市", "430104"),)),
    Province("广东", "广东省", "粤", (("广州市", "440106"), ("深圳市", "440304"))),
    Province("广西", "广西壮族自治区", "桂", (("南宁市", "450103"),)),
    Province("海南", "海南省", "琼", (("海口市", "460105"),)),
    Province("重庆", "重庆市", "渝", (("重庆市", "500103"),)),
    Province("四川", "四川省", "川", (("成都市", "510107"), ("绵阳市", "510703"))),
    Province("贵州", "贵州省", "贵", (("贵阳市", "520102"),)),
    Province("云南", "云南省", "云", (("昆明市", "530102"),)),
    Province("西藏", "西藏自治区", "藏", (("拉萨市", "540102"),)),
    Province("陕西", "陕西省", "陕", (("西安市", "610113"),)),
    Province("甘肃", "甘肃省", "甘", (("兰州市", "620102"),)),
    Province("青海", "青海省", "青", (("西宁市", "630102"),)),
    Province("宁夏", "宁夏回族自治区", "宁", (("银川市", "640104"),)),
    Province("新疆", "新疆维吾尔自治区", "新", (("乌鲁木齐市", "650102"),)),
)
PROVINCE_BY_SHORT = {p.short: p for p in PROVINCES}

# How issuing bodies are named, keyed by a word of the kind's `agency`: (provincial, municipality, city).
# A new kind whose agency matches none of these is issued by its agency as written.
AUTHORITY_FORMS = (
    ("应急管理", ("{province}应急管理厅", "{province}应急管理局", "{city}应急管理局")),
    ("住房和城乡建设", ("{province}住房和城乡建设厅", "{province}住房和城乡建设委员会", None)),
    ("市场监督管理", ("{province}市场监督管理局", "{province}市场监督管理局", "{city}市场监督管理局")),
)

MIN_AGE_AT_FIRST_ISSUE = 18


@dataclass(frozen=True)
class CardValues:
    """The contract fields of one card as the card prints them (dates as dates)."""

    number: str
    name: str
    sex: str  # 男 | 女
    id_number: str | None
    category: str
    item: str | None
    first_issued: date
    valid_from: date
    valid_until: date
    authority: str

    def as_truth(self) -> dict[str, str | None]:
        """The fields in ground-truth form: dates as ISO strings."""
        return {
            "number": self.number, "name": self.name, "sex": self.sex, "id_number": self.id_number,
            "category": self.category, "item": self.item, "first_issued": self.first_issued.isoformat(),
            "valid_from": self.valid_from.isoformat(), "valid_until": self.valid_until.isoformat(),
            "authority": self.authority,
        }


def id_check_digit(body17: str) -> str:
    """GB 11643 check digit (ISO 7064 MOD 11-2) of the first 17 digits.

    `ric.calc_check_digit` expects the number *with* a check position, hence the placeholder.
    """
    return ric.calc_check_digit(body17 + "0")


def wrong_check_digit(id_number: str, rng: random.Random) -> str:
    """The same ID number with a check digit that cannot be right."""
    right = id_check_digit(id_number[:17])
    return id_number[:17] + rng.choice([c for c in "0123456789X" if c != right])


def make_id_number(region_code: str, birth: date, male: bool, rng: random.Random) -> str:
    """An 18-digit 公民身份号码 with an order code whose parity gives the sex (odd = male)."""
    order = rng.randrange(0, 100) * 10 + rng.choice((1, 3, 5, 7, 9) if male else (0, 2, 4, 6, 8))
    body = f"{region_code}{birth:%Y%m%d}{order:03d}"
    return body + id_check_digit(body)


def other_sex(sex: str) -> str:
    return "女" if sex == "男" else "男"


def draw_name(rng: random.Random, sex: str) -> str:
    surname = rng.choice(COMPOUND_SURNAMES) if rng.random() < 0.03 else rng.choice(SURNAMES)
    pool = GIVEN_MALE if sex == "男" else GIVEN_FEMALE
    return surname + "".join(rng.choice(pool) for _ in range(rng.choice((1, 2, 2))))


def draw_other_name(rng: random.Random, sex: str, name: str) -> str:
    """A name of the same sex that differs from `name` (for duplicate and register-mismatch cards)."""
    while (other := draw_name(rng, sex)) == name:
        pass
    return other


def issuing_province(kind: Kind, rng: random.Random) -> tuple[Province, str]:
    """The issuing province and its 简称: one of the kind's provinces when its number names the province."""
    if "province" in kind.number_pattern.groupindex and kind.provinces:
        abbr = rng.choice(sorted(kind.provinces))
        short = kind.provinces[abbr]["name"]
        return PROVINCE_BY_SHORT.get(short) or Province(short, short, abbr, ()), abbr
    province = rng.choice(PROVINCES)
    return province, province.abbr


def authority_for(kind: Kind, province: Province, rng: random.Random) -> str:
    """The issuing body's name in the form the kind's agency uses locally."""
    agency = kind.data.get("agency", "")
    city = rng.choice(province.cities)[0] if province.cities else province.full
    for word, (provincial, municipal, city_level) in AUTHORITY_FORMS:
        if word in agency:
            forms = [municipal] if province.is_municipality else [f for f in (provincial, city_level) if f]
            return rng.choice(forms).format(province=province.full, city=city)
    return agency or f"{province.full}人民政府"


def draw_dates(kind: Kind, rng: random.Random, as_of: date) -> tuple[date, date, date]:
    """(first_issued, valid_from, valid_until) of a card valid on `as_of`, renewed every period since issue.

    When the kind prints first issue and start of validity under the same label (e.g. 批准日期), both are
    one date, so the card must have been issued within the current period.
    """
    years = kind.validity_years
    period_days = years * 365
    if shares_label(kind, "first_issued", "valid_from"):
        first = as_of - timedelta(days=rng.randint(20, period_days - 20))
    else:
        first = as_of - timedelta(days=rng.randint(20, max(period_days, 12 * 365)))
    valid_from = first
    while add_years(valid_from, years) <= as_of:
        valid_from = add_years(valid_from, years)
    one_day_short = kind.validity_tolerance_days >= 1 and rng.random() < 0.5
    valid_until = add_years(valid_from, years) - timedelta(days=1 if one_day_short else 0)
    if valid_until <= as_of:
        valid_until = add_years(valid_from, years)
    return first, valid_from, valid_until


def shares_label(kind: Kind, field_a: str, field_b: str) -> bool:
    """Whether two fields are printed under a common label (so the card shows them as one line)."""
    fields = kind.data["fields"]
    if field_a not in fields or field_b not in fields:
        return False
    return bool(set(fields[field_a]["labels"]) & set(fields[field_b]["labels"]))


def prints_item_code(kind: Kind) -> bool:
    """Whether the kind has an item label that names a code (代号), so items may be printed as codes."""
    labels = kind.data["fields"].get("item", {}).get("labels", [])
    return any("代号" in label for label in labels) and any(row.item_code for row in kind.catalogue)


def item_text(kind: Kind, entry: CatalogueItem, rng: random.Random) -> str | None:
    """The item as printed: its name, or its code on kinds that print codes."""
    if entry.item is None:
        return None
    if entry.item_code and prints_item_code(kind) and rng.random() < 0.5:
        return entry.item_code
    return entry.item


def draw_values(kind: Kind, rng: random.Random, as_of: date) -> CardValues:
    """A genuine card of `kind`, valid on `as_of`."""
    entry = rng.choice(kind.catalogue)
    province, abbr = issuing_province(kind, rng)
    sex = rng.choice("男女")
    first, valid_from, valid_until = draw_dates(kind, rng, as_of)
    age_at_first = rng.randint(MIN_AGE_AT_FIRST_ISSUE + 1, 45)
    birth = date(first.year - age_at_first, 1, 1) - timedelta(days=rng.randint(0, 364))
    home = province if province.cities and rng.random() < 0.7 else rng.choice(PROVINCES)
    id_number = make_id_number(rng.choice(home.cities)[1], birth, sex == "男", rng)
    number = build_number(kind, rng, {
        "province": abbr, "category_code": entry.category_code, "year": str(first.year), "id_number": id_number,
    })
    return CardValues(
        number=number, name=draw_name(rng, sex), sex=sex, id_number=id_number,
        category=entry.category, item=item_text(kind, entry, rng),
        first_issued=first, valid_from=valid_from, valid_until=valid_until,
        authority=authority_for(kind, province, rng),
    )


def build_number(kind: Kind, rng: random.Random, groups: dict[str, str | None]) -> str:
    """A certificate number from the kind's pattern, with the card's values in its named groups."""
    return sample_match(kind.number_pattern, rng, {k: v for k, v in groups.items() if v is not None})


def embedded_id(kind: Kind, number: str) -> str | None:
    """The ID number inside a certificate number (kinds whose number embeds it), else None."""
    if not kind.embeds_id_number:
        return None
    match = kind.number_pattern.fullmatch(number)
    if match and "id_number" in kind.number_pattern.groupindex:
        return match.group("id_number")
    return re.sub(r"^[A-Z]+", "", number)  # a malformed number: what is left after the letter prefix
