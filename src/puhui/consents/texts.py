"""The catalogue of consent texts (授权书), versioned per data source and purpose, in zh-CN and en.

A consent records the version and the SHA-256 of the exact text that was shown, so that what the
customer agreed to can be proven later. A text is never edited in place: a change is a new
version, and only the newest version of a (source, purpose) pair can be agreed to. There is no
text (so no consent) for a pair that the bank may not use, e.g. credit reports for marketing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from functools import cache

from puhui.consents.models import ConsentScope, Purpose
from puhui.consents.sources import SourceName
from puhui.core.i18n import Lang

BANK_ZH = "本行"
BANK_EN = "the Bank"

# What each source holds, in plain words (the items the customer lets the bank read).
_SOURCE_ITEMS: dict[SourceName, tuple[str, str, str, str]] = {
    SourceName.TAX: (
        "税务数据",
        "Tax data",
        "近 24 个月的开票销售额、纳税申报与缴纳情况、纳税信用等级（A/B/C/D/M）",
        "invoiced sales, tax filings and payments of the last 24 months, and the tax credit "
        "grade (A/B/C/D/M)",
    ),
    SourceName.SOCIAL_SECURITY: (
        "社保数据",
        "Social security data",
        "参保人数、缴费基数与缴费记录",
        "the insured headcount, contribution bases and payment records",
    ),
    SourceName.HOUSING_FUND: (
        "公积金数据",
        "Housing fund data",
        "公积金缴存人数、缴存比例与缴存记录",
        "the housing-fund contributor headcount, contribution rates and payment records",
    ),
    SourceName.REGISTRY: (
        "工商登记数据",
        "Business registration data",
        "登记信息、注册资本、成立日期、股东与变更记录、经营异常名录",
        "registration details, registered capital, establishment date, shareholders, changes "
        "and the abnormal-operation list",
    ),
    SourceName.JUDICIAL: (
        "司法数据",
        "Judicial data",
        "涉诉案件、被执行记录、失信被执行人名单",
        "lawsuits, enforcement records and the dishonest-debtor list (失信被执行人)",
    ),
    SourceName.UTILITIES: (
        "水电数据",
        "Utilities data",
        "用电量与用水量及缴费记录",
        "electricity and water consumption and payment records",
    ),
    SourceName.CREDIT_BUREAU: (
        "征信数据",
        "Credit bureau data",
        "中国人民银行征信中心的企业信用报告（以及法定代表人本人授权时的个人信用报告）",
        "the enterprise credit report of the PBOC Credit Reference Center (and, when the legal "
        "representative consents personally, his or her personal credit report)",
    ),
}

_PURPOSE_TEXT: dict[Purpose, tuple[str, str]] = {
    Purpose.CREDIT_DECISION: (
        "用于审查本企业的贷款申请、核定授信额度与利率",
        "to assess the enterprise's loan application and set its credit limit and price",
    ),
    Purpose.POST_LOAN_MONITORING: (
        "用于贷款存续期间的贷后管理与风险预警",
        "for post-loan management and early warning while a loan is outstanding",
    ),
    Purpose.MARKETING: (
        "用于向本企业推荐适合的金融产品与服务",
        "to recommend suitable financial products and services to the enterprise",
    ),
    Purpose.CONVENIENCE_QUERY: (
        "仅用于在本行便民服务中应本人要求向本人展示查询结果",
        "only to show the results to me, at my request, in the Bank's convenience services",
    ),
}

# The convenience query reads one person's own records (法定代表人本人), never an enterprise's.
CONVENIENCE_SOURCES: frozenset[SourceName] = frozenset(
    {SourceName.HOUSING_FUND, SourceName.SOCIAL_SECURITY}
)
_PERSONAL_ITEMS: dict[SourceName, tuple[str, str]] = {
    SourceName.HOUSING_FUND: (
        "本人的住房公积金缴存记录（缴存基数、个人与单位缴存额、缴存单位、账户余额）",
        "my own housing-fund records (contribution base, my and my employer's contributions, "
        "the employer, the account balance)",
    ),
    SourceName.SOCIAL_SECURITY: (
        "本人的社会保险缴费记录（缴费基数、个人与单位缴费额、参保单位）",
        "my own social-security contribution records (contribution base, my and my "
        "employer's contributions, the employer)",
    ),
}

# Sources that a legal representative may authorize for himself or herself (personal data).
PERSON_SOURCES: frozenset[SourceName] = frozenset({SourceName.CREDIT_BUREAU})

# Pairs the bank may not ask for: credit reports are never used for marketing, and the
# convenience query covers only a person's own housing-fund and social-security records.
_FORBIDDEN: frozenset[tuple[SourceName, Purpose]] = frozenset(
    {(SourceName.CREDIT_BUREAU, Purpose.MARKETING)}
    | {(s, Purpose.CONVENIENCE_QUERY) for s in SourceName if s not in CONVENIENCE_SOURCES}
)


@dataclass(frozen=True)
class ConsentText:
    source: SourceName
    purpose: Purpose
    version: str
    effective_from: date
    title_zh: str
    body_zh: str
    title_en: str
    body_en: str

    def text(self, lang: Lang) -> str:
        """The exact text shown to the customer in that language (what the hash covers)."""
        title, body = (
            (self.title_zh, self.body_zh) if lang == "zh" else (self.title_en, self.body_en)
        )
        return f"{title}\n版本 Version {self.version}\n\n{body}"

    def sha256(self, lang: Lang) -> str:
        return hashlib.sha256(self.text(lang).encode("utf-8")).hexdigest()


def _compose_personal(source: SourceName, version: str, effective: date) -> ConsentText:
    """The legal representative's own consent to the convenience query (本人授权)."""
    name_zh, name_en, _, _ = _SOURCE_ITEMS[source]
    items_zh, items_en = _PERSONAL_ITEMS[source]
    use_zh, use_en = _PURPOSE_TEXT[Purpose.CONVENIENCE_QUERY]
    body_zh = (
        f"本人同意{BANK_ZH}通过依法设立的数据服务机构查询{items_zh}，{use_zh}，"
        f"不用于授信审批、营销或其他任何用途。\n"
        f"本授权自同意之日起生效，有效期至约定的到期日；本人可随时在线撤回授权，"
        f"撤回后{BANK_ZH}将停止查询，但不影响撤回前已进行的处理。\n"
        f"{BANK_ZH}依照《中华人民共和国个人信息保护法》保护上述信息，加密保存，"
        f"仅向本人展示。"
    )
    body_en = (
        f"I agree that {BANK_EN} may query {items_en} through lawfully established data "
        f"services, {use_en}, and not for a credit decision, marketing or any other purpose.\n"
        f"This consent takes effect when given and lasts until the agreed expiry date. I may "
        f"revoke it online at any time; {BANK_EN} then stops querying, without affecting "
        f"processing before the revocation.\n"
        f"{BANK_EN} protects this information under the Personal Information Protection Law, "
        f"keeps it encrypted and shows it to me only."
    )
    return ConsentText(
        source=source,
        purpose=Purpose.CONVENIENCE_QUERY,
        version=version,
        effective_from=effective,
        title_zh=f"本人{name_zh}查询授权书（便民查询）",
        body_zh=body_zh,
        title_en=f"Authorization to query my own {name_en.lower()} (convenience query)",
        body_en=body_en,
    )


def _compose(source: SourceName, purpose: Purpose, version: str, effective: date) -> ConsentText:
    if purpose == Purpose.CONVENIENCE_QUERY:
        return _compose_personal(source, version, effective)
    name_zh, name_en, items_zh, items_en = _SOURCE_ITEMS[source]
    use_zh, use_en = _PURPOSE_TEXT[purpose]
    person_zh = (
        "如法定代表人本人另行授权，本授权同样适用于法定代表人本人的上述信息。"
        if source in PERSON_SOURCES
        else ""
    )
    person_en = (
        " Where the legal representative consents personally, this also covers his or her own "
        "records of the same kind."
        if source in PERSON_SOURCES
        else ""
    )
    body_zh = (
        f"本企业同意{BANK_ZH}通过依法设立的数据服务机构查询、收集并保存本企业的{name_zh}，"
        f"包括{items_zh}，{use_zh}，不用于其他用途。{person_zh}\n"
        f"本授权自同意之日起生效，有效期至约定的到期日；本企业可随时在线撤回授权，"
        f"撤回后{BANK_ZH}将停止查询和使用上述数据，但不影响撤回前已进行的处理。\n"
        f"{BANK_ZH}依照《中华人民共和国个人信息保护法》《征信业管理条例》等规定保护上述数据，"
        f"采取加密等安全措施，仅限授权人员在上述用途范围内访问。"
    )
    body_en = (
        f"The enterprise agrees that {BANK_EN} may query, collect and keep its "
        f"{name_en.lower()} through lawfully established data services: {items_en}, "
        f"{use_en}, and for no other purpose.{person_en}\n"
        f"This consent takes effect when given and lasts until the agreed expiry date. The "
        f"enterprise may revoke it online at any time; {BANK_EN} then stops querying and using "
        f"the data, without affecting processing before the revocation.\n"
        f"{BANK_EN} protects the data under the Personal Information Protection Law and the "
        f"Regulations on the Administration of the Credit Reporting Industry, encrypts it, and "
        f"lets only authorized staff access it for the purpose above."
    )
    purpose_zh = {
        Purpose.CREDIT_DECISION: "授信审批",
        Purpose.POST_LOAN_MONITORING: "贷后管理",
        Purpose.MARKETING: "产品推荐",
    }[purpose]
    purpose_en = {
        Purpose.CREDIT_DECISION: "credit decision",
        Purpose.POST_LOAN_MONITORING: "post-loan monitoring",
        Purpose.MARKETING: "product recommendations",
    }[purpose]
    return ConsentText(
        source=source,
        purpose=purpose,
        version=version,
        effective_from=effective,
        title_zh=f"{name_zh}查询授权书（{purpose_zh}）",
        body_zh=body_zh,
        title_en=f"Authorization to query {name_en.lower()} ({purpose_en})",
        body_en=body_en,
    )


# Releases of the catalogue: (version, effective date). The newest release is the one shown.
RELEASES: tuple[tuple[str, date], ...] = (("2026.1", date(2026, 1, 1)),)


@cache
def catalogue() -> dict[tuple[SourceName, Purpose], tuple[ConsentText, ...]]:
    """Every text, oldest version first, per (source, purpose) the bank may ask for."""
    out: dict[tuple[SourceName, Purpose], tuple[ConsentText, ...]] = {}
    for source in SourceName:
        for purpose in Purpose:
            if (source, purpose) in _FORBIDDEN:
                continue
            out[(source, purpose)] = tuple(
                _compose(source, purpose, version, effective) for version, effective in RELEASES
            )
    return out


def is_allowed(source: SourceName, purpose: Purpose) -> bool:
    return (source, purpose) in catalogue()


def scope_allowed(source: SourceName, scope: ConsentScope, purpose: Purpose | None = None) -> bool:
    """Whether a consent to `source` (for `purpose`, when given) may have this scope: the
    convenience query is the legal representative's own only; otherwise the enterprise, or the
    legal representative personally for the credit bureau."""
    if purpose == Purpose.CONVENIENCE_QUERY:
        return scope == ConsentScope.LEGAL_REPRESENTATIVE and source in CONVENIENCE_SOURCES
    return scope == ConsentScope.ENTERPRISE or source in PERSON_SOURCES


def current_text(source: SourceName, purpose: Purpose) -> ConsentText | None:
    versions = catalogue().get((source, purpose))
    return versions[-1] if versions else None


def find_text(source: SourceName, purpose: Purpose, version: str) -> ConsentText | None:
    for text in catalogue().get((source, purpose), ()):
        if text.version == version:
            return text
    return None
