"""Documents that are not certificates of any kind, for the UNKNOWN_KIND variant.

People upload the wrong paper: the employer's business licence, a receipt for the training fee. They
share the look of an official document (seal, QR, label/value rows) but no known title.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from samples.render import Design, Row
from samples.values import PROVINCES, draw_name

DIGITS_UPPER = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # the alphabet of 统一社会信用代码
TRADES = ("建筑工程", "机电设备安装", "安全技术咨询", "劳务分包", "起重设备", "电力工程")
CAPITAL_WORDS = ("壹佰万元整", "伍佰万元整", "贰仟万元整", "叁佰万元整")
FEE_REASONS = ("培训费", "考证报名费", "资料费", "复审培训费")
AMOUNTS_IN_WORDS = {480: "肆佰捌拾元整", 860: "捌佰陆拾元整", 1280: "壹仟贰佰捌拾元整", 2600: "贰仟陆佰元整"}


def foreign_design(rng: random.Random, as_of: date) -> Design:
    """A business licence or a fee receipt, picked at random."""
    return rng.choice((business_licence, receipt))(rng, as_of)


def _company(rng: random.Random) -> tuple[str, str]:
    """A company name and the city it is registered in."""
    province = rng.choice(PROVINCES)
    city = rng.choice(province.cities)[0]
    brand = rng.choice("华建安泰宏盛恒通鼎鑫中正永达") + rng.choice("信安泰达诚宇隆茂源丰")
    return f"{city.removesuffix('市')}{brand}{rng.choice(TRADES)}有限公司", city


def business_licence(rng: random.Random, as_of: date) -> Design:
    company, city = _company(rng)
    credit_code = "91" + "".join(rng.choice(DIGITS_UPPER) for _ in range(16))
    founded = as_of - timedelta(days=rng.randint(400, 7000))
    rows = (
        Row("credit_code", "统一社会信用代码", credit_code),
        Row("company", "名称", company),
        Row("type", "类型", "有限责任公司(自然人投资或控股)"),
        Row("legal_person", "法定代表人", draw_name(rng, rng.choice("男女"))),
        Row("capital", "注册资本", rng.choice(CAPITAL_WORDS)),
        Row("founded", "成立日期", f"{founded.year}年{founded.month:02d}月{founded.day:02d}日"),
        Row("term", "营业期限", "长期"),
        Row("address", "住所", f"{city}{rng.choice('东南西北')}{rng.choice('环城建设人民')}路{rng.randint(1, 300)}号"),
    )
    return Design(
        title="营业执照", rows=rows, seal_text=f"{city}市场监督管理局", photo=False,
        qr_payload=f"http://www.gsxt.gov.cn/{credit_code}", watermark="国家企业信用信息公示系统",
    )


def receipt(rng: random.Random, as_of: date) -> Design:
    company, _city = _company(rng)
    amount = rng.choice(sorted(AMOUNTS_IN_WORDS))
    paid = as_of - timedelta(days=rng.randint(1, 300))
    rows = (
        Row("date", "日期", f"{paid.year}年{paid.month}月{paid.day}日"),
        Row("payer", "交款单位(人)", draw_name(rng, rng.choice("男女"))),
        Row("reason", "收款事由", rng.choice(FEE_REASONS)),
        Row("amount_words", "人民币(大写)", AMOUNTS_IN_WORDS[amount]),
        Row("amount", "小写", f"¥{amount:,}.00"),
        Row("cashier", "收款人", draw_name(rng, rng.choice("男女"))),
    )
    return Design(title="收款收据", rows=rows, seal_text=company, seal_centre="财务专用章", photo=False)
