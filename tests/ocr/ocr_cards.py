"""Test cards drawn with PIL and a Noto CJK font: labels and values in the layouts real cards use.

Synthesised rather than photographed, so no real person's data is committed (doctr's conftest does
the same). Each card is about 1000×640 px, the size of a phone photo cropped to a card, with a photo
placeholder, a background tint and a red seal over some of the values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFont

FONT_DIR = Path("/usr/share/fonts/opentype/noto")
SANS_SC = 2  # face index of Noto Sans CJK SC inside the .ttc collection
CARD_SIZE = (1000, 640)
INK = (25, 25, 25)
SEAL_RED = (215, 30, 35)


def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    name = "NotoSansCJK-Bold.ttc" if bold else "NotoSansCJK-Regular.ttc"
    return ImageFont.truetype(str(FONT_DIR / name), size, index=SANS_SC)


def fonts_available() -> bool:
    return (FONT_DIR / "NotoSansCJK-Regular.ttc").exists() and (FONT_DIR / "NotoSansCJK-Bold.ttc").exists()


@dataclass
class Card:
    """A card being drawn; `boxes` records where each value was written, for box assertions."""

    title: str
    background: tuple[int, int, int] = (236, 244, 238)
    image: Image.Image = field(init=False)
    boxes: dict[str, tuple[int, int, int, int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.image = Image.new("RGB", CARD_SIZE, self.background)
        draw = ImageDraw.Draw(self.image)
        draw.rectangle((8, 8, CARD_SIZE[0] - 9, CARD_SIZE[1] - 9), outline=(120, 150, 130), width=3)
        title_font = font(40, bold=True)
        width = draw.textlength(self.title, font=title_font)
        draw.text(((CARD_SIZE[0] - width) / 2, 36), self.title, font=title_font, fill=INK)

    def text(self, xy: tuple[int, int], text: str, size: int = 30, key: str | None = None) -> int:
        """Draw `text` at `xy`; returns the x just after it. `key` records its box."""
        draw = ImageDraw.Draw(self.image)
        draw.text(xy, text, font=font(size), fill=INK)
        left, top, right, bottom = draw.textbbox(xy, text, font=font(size))
        if key:
            self.boxes[key] = (left, top, right - left, bottom - top)
        return right

    def photo(self, box: tuple[int, int, int, int]) -> None:
        """A grey portrait placeholder: head and shoulders, so the engine sees non-text shapes."""
        draw = ImageDraw.Draw(self.image)
        x0, y0, x1, y1 = box
        draw.rectangle(box, fill=(200, 208, 214), outline=(150, 150, 150))
        cx, w = (x0 + x1) // 2, x1 - x0
        draw.ellipse((cx - w // 5, y0 + w // 6, cx + w // 5, y0 + w // 6 + 2 * w // 5), fill=(120, 125, 135))
        draw.pieslice((x0 + w // 8, y1 - w // 2, x1 - w // 8, y1 + w // 3), 180, 360, fill=(120, 125, 135))

    def seal(self, centre: tuple[int, int], radius: int = 85) -> None:
        """A red official seal stamped over whatever is below: double ring, star and text.

        Ink is subtractive, so the seal is multiplied onto the card: white paper turns red, black
        text under it stays black, as on a stamped card.
        """
        overlay = Image.new("RGB", CARD_SIZE, (255, 255, 255))
        draw = ImageDraw.Draw(overlay)
        cx, cy = centre
        colour = SEAL_RED
        draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), outline=colour, width=7)
        draw.ellipse((cx - radius + 12, cy - radius + 12, cx + radius - 12, cy + radius - 12), outline=colour, width=2)
        star = [(cx + dx * radius // 4, cy + dy * radius // 4) for dx, dy in
                ((0, -1), (0.25, -0.3), (0.95, -0.3), (0.4, 0.12), (0.6, 0.8), (0, 0.38), (-0.6, 0.8),
                 (-0.4, 0.12), (-0.95, -0.3), (-0.25, -0.3))]
        draw.polygon(star, fill=colour)
        draw.text((cx - radius + 30, cy + radius // 3), "专用章", font=font(radius // 3), fill=colour)
        self.image = ImageChops.multiply(self.image, overlay)


def label_value_card(values: dict[str, str]) -> Card:
    """特种作业操作证, one column: "标签：值" to the right of the photo, seal over the authority and dates."""
    card = Card("中华人民共和国特种作业操作证")
    card.photo((50, 140, 240, 390))
    rows = [("姓名", "name"), ("性别", "sex"), ("证号", "number"), ("作业类别", "category"),
            ("准操项目", "item"), ("初领日期", "first_issued"), ("有效期限", "validity"), ("签发机关", "authority")]
    y = 130
    for label, key in rows:
        x = card.text((290, y), f"{label}：")
        card.text((x + 4, y), values[key], key=key)
        y += 56
    card.seal((720, 520))
    return card


def two_column_card(values: dict[str, str]) -> Card:
    """Letter-spaced labels ("姓　名") and two label–value pairs per row, no colons."""
    card = Card("中华人民共和国特种作业操作证", background=(240, 240, 232))
    card.photo((770, 130, 950, 360))
    pairs = [(("姓　名", "name"), ("性　别", "sex")),
             (("证　号", "number"), None),
             (("作业类别", "category"), ("准操项目", "item")),
             (("初领日期", "first_issued"), ("复审日期", "review_date")),
             (("有效期限", "validity"), None),
             (("签发机关", "authority"), None)]
    y = 130
    for left, right in pairs:
        for (label, key), x in ((left, 50), (right, 430)) if right else ((left, 50),):
            card.text((x, y), label)
            card.text((x + 150, y), values[key], key=key)
        y += 70
    card.seal((330, 505), radius=80)
    return card


def value_below_card(values: dict[str, str]) -> Card:
    """特种设备 card: labels above their values and an item table "作业项目代号 | 批准日期 | 有效日期"."""
    card = Card("中华人民共和国特种设备安全管理和作业人员证", background=(244, 238, 228))
    card.photo((50, 130, 210, 330))
    card.text((250, 125), "姓名", size=26)
    card.text((250, 160), values["name"], key="name")
    card.text((520, 125), "证件编号", size=26)
    card.text((520, 160), values["number"], key="number")
    card.text((250, 230), "发证机关", size=26)
    card.text((250, 265), values["authority"], key="authority")
    columns = (("作业项目代号", "item", 60), ("批准日期", "first_issued", 360), ("有效日期", "valid_until", 640))
    for label, key, x in columns:
        card.text((x, 380), label, size=28)
        card.text((x, 430), values[key], key=key)
    card.seal((600, 300), radius=75)
    return card
