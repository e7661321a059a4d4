"""The contract document: terms, wording, the Jinja2 text and the PDF (fpdf2), and its font.

No database here. `render_pdf(terms)` is a pure function of the terms, the font file and the
fpdf2 version: the creation date is the terms' `created_at` (from the clock), nothing random is
written, so the same inputs give the same bytes and the same SHA-256.

The font is a TTF/OTF/TTC with Simplified Chinese glyphs: `PUHUI_CONTRACT_FONT` (and
`PUHUI_CONTRACT_FONT_INDEX` for a collection), else the first of `DEFAULT_FONTS` present —
Debian's fonts-noto-cjk (Noto Serif CJK SC) first. No font is a clear error
(`ContractFontMissing`), and so is a font lacking a glyph the text needs
(`ContractFontMissingGlyphs`): never a PDF with missing glyphs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from pydantic_settings import BaseSettings, SettingsConfigDict

from puhui.core.clock import SHANGHAI
from puhui.core.errors import DomainError
from puhui.lending.allocation import DEFAULT_ORDER, Bucket
from puhui.lending.contracts.words import (
    amount_in_capitals,
    date_zh,
    format_yuan,
    percent_from_bp,
    spread_wording,
)

# the contract states the penalty rate the end of day charges: one rule, in lending.overdue
from puhui.lending.overdue import DEFAULT_PENALTY_MARKUP_BP as DEFAULT_PENALTY_MARKUP_BP
from puhui.lending.overdue import penalty_rate_bp

TEMPLATE_DIR = Path(__file__).parent / "templates"
TEMPLATE_NAME = "contract.txt.j2"
TEMPLATE_VERSION = "loan-contract/v1"

# --- settings ---------------------------------------------------------------------------------


class ContractSettings(BaseSettings):
    """PUHUI_CONTRACT_* settings of the e-contract."""

    model_config = SettingsConfigDict(env_prefix="PUHUI_CONTRACT_", extra="ignore")

    # A TTF/OTF/TTC font with Simplified Chinese glyphs; when empty, DEFAULT_FONTS are tried.
    font: Path | None = None
    # Face index inside a TTC/OTC collection; when empty, the Simplified Chinese face is chosen.
    font_index: int | None = None
    bank_name: str = "普惠示范商业银行股份有限公司"
    sms_sign: str = "普惠"
    # One-year LPR in basis points, used when the credit line does not carry its own.
    lpr_1y_bp: int = 300
    signing_days: int = 7
    # the bank's seal (PAdES): PEM certificate, PEM key, the trust root(s) a verifier checks
    # the chain against; the RFC 3161 timestamp authority's URL. Unset outside production: a
    # sandbox PKI under var/pki and an in-process sandbox timestamper (see pades.py).
    signing_cert: Path | None = None
    signing_key: Path | None = None
    trust_root: Path | None = None
    tsa_url: str = ""


def contract_settings() -> ContractSettings:
    return ContractSettings()


# Fonts from Debian packages, tried in order. fonts-noto-cjk is installed by
# `scripts/bootstrap.sh --test`; the others are alternatives a deployment may have.
DEFAULT_FONTS: tuple[Path, ...] = (
    Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"),  # fonts-noto-cjk
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),  # fonts-noto-cjk
    Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"),  # fonts-droid-fallback
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),  # fonts-wqy-microhei
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),  # fonts-wqy-zenhei
    Path("/usr/share/fonts/truetype/arphic/uming.ttc"),  # fonts-arphic-uming
)


# --- errors ------------------------------------------------------------------------------------


class ContractFontMissing(DomainError):
    code = "contract_font_missing"
    status = 503
    title_zh = "合同字体缺失"
    title_en = "Contract font missing"
    message_zh = (
        "找不到可用的中文字体，无法生成合同 PDF。请安装 Debian 软件包 fonts-noto-cjk，"
        "或用环境变量 PUHUI_CONTRACT_FONT 指定一个含简体中文字形的 TTF/OTF/TTC 字体。"
        "已尝试：{tried}"
    )
    message_en = (
        "No usable Chinese font was found, so the contract PDF cannot be made. Install the "
        "Debian package fonts-noto-cjk or set PUHUI_CONTRACT_FONT to a TTF/OTF/TTC font with "
        "Simplified Chinese glyphs. Tried: {tried}"
    )


class ContractFontMissingGlyphs(DomainError):
    code = "contract_font_missing_glyphs"
    status = 503
    title_zh = "合同字体缺字"
    title_en = "Contract font lacks glyphs"
    message_zh = "字体 {font} 缺少以下字符的字形，拒绝生成缺字的合同：{chars}"
    message_en = "The font {font} has no glyph for: {chars}; no contract with missing glyphs."


# --- terms and wording ------------------------------------------------------------------------

_REPAYMENT_ZH = {
    "equal_instalment": "等额本息，按月偿还相同金额的本息",
    "equal_principal": "等额本金，按月偿还相同金额的本金及当期利息",
    "interest_first": "先息后本，按月付息，到期一次偿还本金",
    "bullet": "到期一次还本付息",
    "revolving": "随借随还，按月付息，每笔借款到期前可随时归还本金",
    "on_demand": "随借随还，按月付息，每笔借款到期前可随时归还本金",
    "interest_monthly": "按月付息，到期还本",
}


def repayment_wording(method: str) -> str:
    return _REPAYMENT_ZH.get(method, method)


def _bucket_zh(name: str) -> str:
    try:
        return Bucket(name).zh
    except ValueError:
        return {"fee": "费用"}.get(name, name)


@dataclass(frozen=True)
class ContractTerms:
    """Everything the contract text shows; the PDF is a pure function of these values."""

    reference: str
    bank_name: str
    enterprise_name: str
    enterprise_uscc: str
    enterprise_region: str
    legal_rep_name: str
    product_code: str
    product_name: str
    limit_fen: int
    rate_bp: int
    lpr_bp: int
    term_months: int  # the longest term of one drawdown under the line
    expiry_date: date  # the line's last day
    repayment_method: str
    penalty_markup_bp: int  # 5 000 = contract rate + 50%
    compound_interest: bool
    day_count: str  # "ACT/360" (or "ACT/365")
    created_at: datetime
    grace_days: int = 0  # days after a due date before penalty interest starts
    prepayment_allowed: bool = True
    prepayment_fee_bp: int = 0  # on the principal repaid early
    allocation_order: tuple[str, ...] = DEFAULT_ORDER
    charges: tuple[str, ...] = ()  # the product's charges, one clause line each

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["expiry_date"] = self.expiry_date.isoformat()
        data["created_at"] = self.created_at.isoformat()
        data["allocation_order"] = list(self.allocation_order)
        data["charges"] = list(self.charges)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ContractTerms:
        values = dict(data)
        values["expiry_date"] = date.fromisoformat(values["expiry_date"])
        values["created_at"] = datetime.fromisoformat(values["created_at"])
        if "allocation_order" in values:
            values["allocation_order"] = tuple(values["allocation_order"])
        if "charges" in values:
            values["charges"] = tuple(values["charges"])
        return cls(**values)

    def wording(self) -> dict[str, str]:
        spread_zh, _ = spread_wording(self.rate_bp, self.lpr_bp)
        return {
            "limit_capitals": amount_in_capitals(self.limit_fen),
            "limit_yuan": format_yuan(self.limit_fen),
            "rate_pct": percent_from_bp(self.rate_bp),
            "lpr_pct": percent_from_bp(self.lpr_bp),
            "spread_zh": spread_zh,
            "penalty_pct": percent_from_bp(penalty_rate_bp(self.rate_bp, self.penalty_markup_bp)),
            "penalty_markup_pct": percent_from_bp(self.penalty_markup_bp, 0),
            "year_days": "365" if self.day_count.upper().endswith("365") else "360",
            "repayment_zh": repayment_wording(self.repayment_method),
            "expiry_date": date_zh(self.expiry_date),
            "created_date": date_zh(self.created_at.astimezone(SHANGHAI).date()),
            "prepayment_fee_pct": percent_from_bp(self.prepayment_fee_bp, 0),
            "allocation_zh": "、".join(_bucket_zh(b) for b in self.allocation_order),
        }


@lru_cache(maxsize=1)
def _jinja() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=False,  # a text template for a PDF, never HTML
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


def render_text(terms: ContractTerms) -> str:
    """The contract text (small markup, see the template) for these terms."""
    return _jinja().get_template(TEMPLATE_NAME).render(t=terms, w=terms.wording())


# --- fonts and PDF ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FontChoice:
    path: Path
    index: int
    name: str


def _collection_face(path: Path, wanted: int | None) -> tuple[int, str]:
    """Pick a face of a TTC/OTC (the Simplified Chinese one unless told) and its name."""
    from fontTools.ttLib import TTCollection, TTFont

    if path.suffix.lower() not in (".ttc", ".otc"):
        font = TTFont(str(path), lazy=True)
        return 0, str(font["name"].getDebugName(4) or path.stem)
    collection = TTCollection(str(path), lazy=True)
    names = [str(f["name"].getDebugName(4) or "") for f in collection.fonts]
    if wanted is not None:
        if not 0 <= wanted < len(names):
            raise ValueError(f"{path} has {len(names)} faces, no index {wanted}")
        return wanted, names[wanted]
    for index, name in enumerate(names):
        if name.endswith(" SC") or " SC " in name or "Simplified" in name:
            return index, name
    return 0, names[0] if names else path.stem


@lru_cache(maxsize=8)
def _resolve(configured: Path | None, index: int | None) -> FontChoice:
    candidates = [configured] if configured is not None else list(DEFAULT_FONTS)
    tried: list[str] = []
    for path in candidates:
        tried.append(str(path))
        if not path.is_file():
            continue
        try:
            face, name = _collection_face(path, index)
        except Exception as exc:  # an unreadable file is reported like a missing one
            tried[-1] += f" ({type(exc).__name__})"
            continue
        return FontChoice(path=path, index=face, name=name)
    raise ContractFontMissing(tried="; ".join(tried))


def resolve_font(settings: ContractSettings | None = None) -> FontChoice:
    """The font for contracts: PUHUI_CONTRACT_FONT, else the first of DEFAULT_FONTS present."""
    settings = settings or contract_settings()
    return _resolve(settings.font, settings.font_index)


_FAMILY = "contract"
_MARGIN_MM = 20
_BODY_PT = 10.5
_LINE_MM = 6.2
_CELL_PADDING_MM = 1.5
_LABEL_COL_MM = 42

# Chinese line-breaking rules (禁则): these never start a line (they hang at the end of the
# previous one) ...
_NO_LINE_START = frozenset("，。、；：？！）》」』】〕’”%％·…—,.;:?!)]}")
# ... and these never end one (they move to the next line).
_NO_LINE_END = frozenset("（《「『【〔‘“([{")


def _units(text_: str) -> list[str]:
    """Break points: each CJK character alone, runs of ASCII (3.45%, ACT/360) kept whole."""
    units: list[str] = []
    run = ""
    for ch in text_:
        if ch.isascii() and not ch.isspace():
            run += ch
            continue
        if run:
            units.append(run)
            run = ""
        units.append(ch)
    if run:
        units.append(run)
    return units


def wrap_cjk(text_: str, width_mm: float, measure: Any) -> list[str]:  # float-ok: layout
    """Greedy line breaking for mixed Chinese and ASCII text with the 禁则 above.

    `measure(str)` gives (as a float, layout only) a string's width in mm in the current font.
    """
    lines: list[list[str]] = [[]]
    used = 0.0  # float-ok: layout
    for unit in _units(text_):
        w = measure(unit)
        line = lines[-1]
        if line and used + w > width_mm and not unit.isspace():
            if unit[0] in _NO_LINE_START:
                line.append(unit)  # hanging punctuation may pass the margin slightly
                used += w
                continue
            carry: list[str] = []
            while line and line[-1] and line[-1][-1] in _NO_LINE_END:
                carry.insert(0, line.pop())
            lines.append(carry)
            line = lines[-1]
            used = sum(measure(u) for u in carry)
        if not line and unit.isspace():
            continue
        line.append(unit)
        used += w
    return ["".join(line).rstrip() for line in lines if "".join(line).strip()]


def _pdf_class() -> type[Any]:
    from fpdf import FPDF

    class ContractPDF(FPDF):
        footer_text = ""

        def footer(self) -> None:
            self.set_y(-14)
            self.set_font(_FAMILY, "", 8)
            self.set_text_color(110, 110, 110)
            self.cell(
                0,
                5,
                f"{self.footer_text}    第 {self.page_no()} 页 / 共 {{nb}} 页",
                align="C",
            )
            self.set_text_color(0, 0, 0)

    return ContractPDF


def _check_glyphs(cmap: dict[int, str], text_: str, font_name: str) -> None:
    missing = sorted({ch for ch in text_ if not ch.isspace() and ord(ch) not in cmap})
    if missing:
        raise ContractFontMissingGlyphs(font=font_name, chars=" ".join(missing))


def _blocks(text_: str) -> Iterable[tuple[str, Any]]:
    """Parse the template's markup into (kind, content) blocks."""
    paragraph: list[str] = []
    table: list[tuple[str, str]] = []

    def flush() -> Iterable[tuple[str, Any]]:
        if paragraph:
            yield "p", "".join(paragraph)
            paragraph.clear()
        if table:
            yield "table", list(table)
            table.clear()

    for raw in text_.splitlines():
        line = raw.strip()
        if line.startswith("| ") and line.endswith(" |"):
            if paragraph:
                yield from flush()
            cells = [c.strip() for c in line[2:-2].split(" | ")]
            table.append((cells[0], " | ".join(cells[1:])))
            continue
        if table:
            yield from flush()
        if not line:
            yield from flush()
        elif line.startswith("# "):
            yield from flush()
            yield "title", line[2:]
        elif line.startswith("## "):
            yield from flush()
            yield "h", line[3:]
        elif line.startswith("@ "):
            yield from flush()
            yield "center", line[2:]
        elif line[:2] in {f"{n}." for n in range(1, 10)}:
            yield from flush()
            paragraph.append(line)
        else:
            paragraph.append(line)
    yield from flush()


def _emphasis(pdf: Any, stroke_mm: float) -> Any:  # float-ok: drawing, not money
    """Bold-looking text from the regular face: fill and stroke the outlines (q/Q-scoped)."""
    from fpdf.enums import TextMode

    return pdf.local_context(text_mode=TextMode.FILL_STROKE, line_width=stroke_mm)


def render_pdf(terms: ContractTerms, font: FontChoice | None = None) -> bytes:
    """The contract as PDF bytes: deterministic for the same terms, font and fpdf2 version."""
    from fpdf.enums import WrapMode

    font = font or resolve_font()
    content = render_text(terms)
    pdf = _pdf_class()(format="A4", unit="mm")
    pdf.footer_text = f"合同编号 {terms.reference}"
    pdf.set_margins(_MARGIN_MM, _MARGIN_MM, _MARGIN_MM)
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_font(_FAMILY, "", str(font.path), collection_font_number=font.index)
    # One face only: subsetting a CJK CFF font is the slow part of a render, so headings are
    # emphasised by stroking the glyph outlines rather than by embedding a bold face.
    # The subset keeps the whole font's bounding boxes instead of recomputing them from every
    # glyph outline when it is saved: half the render time (≈ 1.2 s → 0.6 s here), the same
    # glyphs, and a box that still encloses them all (the PDF's FontBBox is the font's anyway).
    pdf.fonts[_FAMILY].ttfont.recalcBBoxes = False
    cmap: dict[int, str] = pdf.fonts[_FAMILY].cmap
    _check_glyphs(cmap, content + pdf.footer_text + "第页共/0123456789", font.name)

    created = terms.created_at.astimezone(UTC)
    pdf.set_creation_date(created)
    pdf.set_title(f"流动资金循环借款合同 {terms.reference}")
    pdf.set_subject(f"{terms.enterprise_name} {terms.enterprise_uscc}")
    pdf.set_author(terms.bank_name)
    pdf.set_creator("Puhui 普惠")
    pdf.set_producer(f"Puhui 普惠 e-contract {TEMPLATE_VERSION}")
    pdf.set_lang("zh-CN")
    pdf.alias_nb_pages()
    pdf.add_page()
    width = pdf.epw

    for kind, value in _blocks(content):
        if kind == "title":
            pdf.set_font(_FAMILY, "", 18)
            with _emphasis(pdf, 0.35):
                pdf.multi_cell(width, 11, value, align="C", new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
        elif kind == "center":
            pdf.set_font(_FAMILY, "", 9.5)
            pdf.multi_cell(width, 5.5, value, align="C", new_x="LMARGIN", new_y="NEXT")
        elif kind == "h":
            if pdf.will_page_break(3 + 8 + 2 * _LINE_MM):  # no heading alone at a page foot
                pdf.add_page()
            else:
                pdf.ln(3)
            pdf.set_font(_FAMILY, "", 12)
            with _emphasis(pdf, 0.22):
                pdf.multi_cell(width, 8, value, new_x="LMARGIN", new_y="NEXT")
        elif kind == "p":
            pdf.set_font(_FAMILY, "", _BODY_PT)
            for line in wrap_cjk(value, width, pdf.get_string_width):
                pdf.cell(width, _LINE_MM, line, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1.2)
        elif kind == "table":
            pdf.ln(1)
            pdf.set_font(_FAMILY, "", _BODY_PT)
            inner = width - _LABEL_COL_MM - 2 * _CELL_PADDING_MM - 1
            with pdf.table(
                col_widths=(_LABEL_COL_MM, width - _LABEL_COL_MM),
                first_row_as_headings=False,
                line_height=_LINE_MM,
                wrapmode=WrapMode.CHAR,
                padding=_CELL_PADDING_MM,
                text_align="LEFT",
            ) as table:
                for label, cell in value:
                    row = table.row()
                    row.cell(label)
                    row.cell("\n".join(wrap_cjk(cell, inner, pdf.get_string_width)))
            pdf.ln(1)
    return bytes(pdf.output())
