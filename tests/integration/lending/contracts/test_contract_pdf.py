"""The contract PDF: rendered with an embedded Chinese font, deterministic, and never with tofu."""

from __future__ import annotations

import hashlib
import re
import zlib
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from puhui.lending.contracts import pdf as contract_pdf
from puhui.lending.contracts.pdf import (
    ContractFontMissing,
    ContractFontMissingGlyphs,
    ContractSettings,
    ContractTerms,
    FontChoice,
    render_pdf,
    render_text,
    resolve_font,
)

TERMS = ContractTerms(
    reference="HT-2026-000001",
    bank_name="普惠示范商业银行股份有限公司",
    enterprise_name="杭州测试机械有限公司",
    enterprise_uscc="91330100799655058B",
    enterprise_region="浙江省杭州市",
    legal_rep_name="陈测试",
    product_code="WEIYEDAI",
    product_name="微业贷（随借随还）",
    limit_fen=100_000_000,
    rate_bp=345,
    lpr_bp=300,
    term_months=12,
    expiry_date=date(2027, 11, 23),
    repayment_method="interest_first",
    penalty_markup_bp=5_000,
    compound_interest=True,
    day_count="ACT/360",
    created_at=datetime(2026, 11, 23, 2, 0, tzinfo=UTC),
)


@pytest.fixture(scope="module")
def font() -> FontChoice:
    return resolve_font(ContractSettings())


@pytest.fixture(scope="module")
def pdf(font: FontChoice) -> bytes:
    return render_pdf(TERMS, font)


def test_text_has_the_terms() -> None:
    text = render_text(TERMS)
    for expected in (
        "杭州测试机械有限公司",
        "91330100799655058B",
        "法定代表人 | 陈测试",
        "人民币壹佰万元整",
        "¥1,000,000.00",
        "3.45%",
        "LPR 3.00% 加 45 个基点",
        "LPR）3.00%加 45 个基点",
        "ACT/360",
        "年利率 ÷ 360",
        "先息后本",
        "5.175%",
        "上浮 50%",
        "复利",
        "人民法院",
        "2027年11月23日",
        "最长 12 个月",
        "普惠示范商业银行股份有限公司",
    ):
        assert expected in text, expected
    no_compound = render_text(replace(TERMS, compound_interest=False))
    assert "不计收复利" in no_compound


def test_pdf_embeds_the_chinese_font_and_is_deterministic(pdf: bytes, font: FontChoice) -> None:
    assert pdf.startswith(b"%PDF-1.") and pdf.rstrip().endswith(b"%%EOF")
    # One embedded (subset) font program, the chosen CJK face, with a ToUnicode map.
    assert re.search(rb"/FontFile[23]? ", pdf) or b"/FontFile3" in pdf
    assert font.name.replace(" ", "").encode() in pdf
    assert b"/ToUnicode" in pdf
    assert b"/CreationDate (D:20261123020000Z" in pdf
    again = render_pdf(TERMS, font)
    assert again == pdf
    assert hashlib.sha256(again).hexdigest() == hashlib.sha256(pdf).hexdigest()


def test_the_text_is_in_the_pdf(pdf: bytes) -> None:
    """The ToUnicode map lists the enterprise name's characters (the glyphs are embedded)."""
    cmaps = []
    for match in re.finditer(rb"/ToUnicode (\d+) 0 R", pdf):
        obj = re.search(rb"\n" + match.group(1) + rb" 0 obj\s*<<(.*?)>>\s*stream\r?\n", pdf, re.S)
        assert obj is not None
        start = obj.end()
        end = pdf.index(b"endstream", start)
        raw = pdf[start:end].rstrip(b"\r\n")
        cmaps.append(zlib.decompress(raw) if b"/FlateDecode" in obj.group(1) else raw)
    text = b"\n".join(cmaps).decode("latin-1")
    mapped = {chr(int(h, 16)) for h in re.findall(r"<([0-9A-Fa-f]{4})>\s*$", text, re.M)}
    mapped |= {chr(int(h, 16)) for h in re.findall(r"<[0-9A-Fa-f]+> <([0-9A-Fa-f]{4})>", text)}
    for ch in "杭州测试机械有限公司壹佰万元整陈":
        assert ch in mapped, ch


def test_different_terms_different_hash(pdf: bytes, font: FontChoice) -> None:
    digest = hashlib.sha256(pdf).hexdigest()
    for changed in (
        replace(TERMS, limit_fen=100_000_100),
        replace(TERMS, rate_bp=346),
        replace(TERMS, reference="HT-2026-000002"),
        replace(TERMS, created_at=datetime(2026, 11, 24, 2, 0, tzinfo=UTC)),
    ):
        assert hashlib.sha256(render_pdf(changed, font)).hexdigest() != digest


def test_missing_font_is_a_clear_error(tmp_path: Path) -> None:
    contract_pdf._resolve.cache_clear()
    settings = ContractSettings(font=tmp_path / "nope.ttf")
    with pytest.raises(ContractFontMissing) as err:
        resolve_font(settings)
    assert "fonts-noto-cjk" in err.value.message("zh")
    assert "PUHUI_CONTRACT_FONT" in err.value.message("en")
    assert str(tmp_path / "nope.ttf") in err.value.message("en")


def _latin_only_font(path: Path) -> Path:
    """A tiny TrueType font with glyphs for ASCII letters only (built here, nothing downloaded)."""
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    chars = [chr(c) for c in range(0x20, 0x7F)]
    names = [".notdef"] + [f"g{ord(c)}" for c in chars]
    fb = FontBuilder(1000, isTTF=True)
    fb.setupGlyphOrder(names)
    fb.setupCharacterMap({ord(c): f"g{ord(c)}" for c in chars})
    pen = TTGlyphPen(None)
    pen.moveTo((100, 0))
    pen.lineTo((100, 700))
    pen.lineTo((500, 700))
    pen.closePath()
    box = pen.glyph()
    fb.setupGlyf({name: box for name in names})
    fb.setupHorizontalMetrics({name: (600, 100) for name in names})
    fb.setupHorizontalHeader(ascent=800, descent=-200)
    fb.setupNameTable({"familyName": "LatinOnly", "styleName": "Regular"})
    fb.setupOS2(sTypoAscender=800, usWinAscent=800, usWinDescent=200)
    fb.setupPost()
    fb.save(str(path))
    return path


def test_font_without_chinese_glyphs_is_refused(tmp_path: Path) -> None:
    contract_pdf._resolve.cache_clear()
    path = _latin_only_font(tmp_path / "latin.ttf")
    font = resolve_font(ContractSettings(font=path))
    assert font.path == path
    with pytest.raises(ContractFontMissingGlyphs) as err:
        render_pdf(TERMS, font)
    assert "杭" in err.value.message("zh")
    contract_pdf._resolve.cache_clear()


def test_line_breaking_follows_the_chinese_rules() -> None:
    from puhui.lending.contracts.pdf import wrap_cjk

    def width(s: str) -> float:  # float-ok: layout; one unit per character
        return float(len(s))

    text = "罚息利率为本合同约定利率上浮 50%，即年利率 5.175%；计息（ACT/360）。"
    for w in range(6, 30):
        lines = wrap_cjk(text, w, width)
        assert "".join(lines).replace(" ", "") == text.replace(" ", "")
        for line in lines[1:]:
            assert line[0] not in "，。；）%", (w, lines)
        for line in lines[:-1]:
            assert line[-1] != "（", (w, lines)
        for token in ("50%", "5.175%", "ACT/360"):
            assert any(token in line for line in lines), (w, token, lines)
