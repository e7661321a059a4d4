"""A business-licence image drawn with Pillow and Debian's Noto CJK font (fonts-noto-cjk), for
OCR tests: read for real by RapidOCR."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)


def cjk_font() -> str | None:
    return next((p for p in FONT_CANDIDATES if Path(p).exists()), None)


def licence_png(uscc: str, name: str, rep: str) -> bytes:
    path = cjk_font()
    if path is None:
        raise RuntimeError("no CJK font: apt-get install fonts-noto-cjk (scripts/bootstrap.sh)")
    font = ImageFont.truetype(path, 34)
    title = ImageFont.truetype(path, 52)
    img = Image.new("RGB", (1100, 640), (250, 246, 236))
    draw = ImageDraw.Draw(img)
    draw.rectangle((12, 12, 1088, 628), outline=(170, 40, 40), width=6)
    draw.text((420, 40), "营业执照", fill=(170, 40, 40), font=title)
    rows = [
        f"统一社会信用代码 {uscc}",
        f"名称 {name}",
        "类型 有限责任公司",
        f"法定代表人 {rep}",
        "成立日期 2015年06月01日",
    ]
    for i, row in enumerate(rows):
        draw.text((60, 150 + i * 86), row, fill=(20, 20, 20), font=font)
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()
