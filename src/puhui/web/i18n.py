"""Console strings in zh-CN (default) and English. Templates call t('key')."""

from __future__ import annotations

from typing import Protocol

from puhui.core.errors import InvalidInput
from puhui.core.i18n import Lang
from puhui.web.account_strings import ACCOUNT_STRINGS

STRINGS: dict[str, tuple[str, str]] = {
    "app_name": ("普惠 · 小微企业数字金融", "Puhui · SME digital finance"),
    "login": ("登录", "Log in"),
    "logout": ("退出", "Log out"),
    "username": ("用户名", "Username"),
    "password": ("密码", "Password"),
    "home": ("工作台", "Workbench"),
    "welcome": ("欢迎，{name}", "Welcome, {name}"),
    "role": ("角色", "Role"),
    "enterprises": ("企业", "Enterprises"),
    "audit": ("审计日志", "Audit trail"),
    "api_docs": ("接口文档", "API docs"),
    "switch_lang": ("English", "中文"),
    "login_failed": ("用户名或密码错误。", "Wrong username or password."),
    "name": ("名称", "Name"),
    "uscc": ("统一社会信用代码", "Unified social credit code"),
    "industry": ("行业", "Industry"),
    "region": ("地区", "Region"),
    "capital": ("注册资本", "Registered capital"),
    "established": ("成立日期", "Established"),
    "size": ("规模", "Size"),
    "chain_ok": ("审计链完整", "Audit chain intact"),
    "chain_bad": ("审计链被破坏", "Audit chain broken"),
    "when": ("时间", "When"),
    "who": ("操作人", "Who"),
    "action": ("操作", "Action"),
    "entity": ("对象", "Entity"),
    "from_where": ("来源", "From"),
    "portfolio": ("我的客户", "My portfolio"),
    "qr": ("二维码", "QR codes"),
    "reviews": ("审批队列", "Review queue"),
    "policies": ("授信政策", "Policies"),
    "cockpit": ("驾驶舱", "Cockpit"),
    "receivables": ("应收款链", "Receivables"),
    "collections": ("催收", "Collections"),
    # lists: search and pager (web/templates/_lists.html)
    "search": ("搜索", "Search"),
    "search_hint": ("企业名称 / 统一社会信用代码 / 编号", "Enterprise name / USCC / reference"),
    "search_clear": ("清除", "Clear"),
    "page_x_of_y": ("第 {number} / {pages} 页", "Page {number} of {pages}"),
    "rows_x_to_y": ("第 {first}–{last} 条，共 {total} 条", "{first}–{last} of {total}"),
    "no_rows": ("没有符合条件的记录", "Nothing matches"),
    "first_page": ("首页", "First"),
    "previous_page": ("上一页", "Previous"),
    "next_page": ("下一页", "Next"),
    "last_page": ("末页", "Last"),
    "pages_of": ("分页：{what}", "Pages: {what}"),
}


# What a form's field is called on the screen, for a refusal of its value (the API keeps the
# field's name: a machine reads it; a person reads the label).
FIELD_LABELS: dict[str, tuple[str, str]] = {
    "amount_yuan": ("金额（元）", "the amount (yuan)"),
    "requested_amount_fen": ("申请金额", "the amount requested"),
    "limit_yuan": ("额度（元）", "the limit (yuan)"),
    "mobile": ("手机号", "the mobile number"),
    "members": ("成员客户经理", "the member managers"),
    "uscc": ("统一社会信用代码", "the unified social credit code"),
    "legal_representative": ("法定代表人信息", "the legal representative's details"),
    "resident_id": ("身份证号", "the resident ID number"),
    "reason": ("理由（至少 2 个字）", "the reason (2 characters at least)"),
    "note": ("说明（至少 2 个字）", "the note (2 characters at least)"),
    "outcome": ("结论", "the outcome"),
    "grade": ("评级", "the grade"),
    "document": ("政策文件（JSON）", "the policy document (JSON)"),
    "application_reference": ("授信申请编号", "the application reference"),
    "limit_fen": ("额度", "the limit"),
    # guarantees and collateral (web/staff/security.py)
    "identifier": (
        "保证人证件号（统一社会信用代码或身份证号，须已登记）",
        "the guarantor's USCC or resident ID (registered here)",
    ),
    "valuation_yuan": ("评估价值（元）", "the valuation (yuan)"),
    "valued_date": ("评估日期", "the valuation date"),
    "haircut_percent": ("折扣率（%，0–100）", "the haircut (%, 0-100)"),
    "max_ltv_percent": ("最高抵质押率（%，0–100）", "the maximum LTV (%, 0-100)"),
    "consent": ("保证人授权确认", "the guarantor's consent"),
}


# What a valid value looks like, added to a refusal of the field's value.
FIELD_HINTS: dict[str, tuple[str, str]] = {
    "amount_yuan": (
        "可填写如 100000、100,000.00 或 10万（元，最多两位小数）。",
        "Write it like 100000, 100,000.00 or 10万 (yuan, at most 2 decimals).",
    ),
    "limit_yuan": (
        "可填写如 100000、100,000.00 或 10万（元，最多两位小数）。",
        "Write it like 100000, 100,000.00 or 10万 (yuan, at most 2 decimals).",
    ),
    "mobile": ("应为 11 位中国大陆手机号。", "It must be an 11-digit mainland China mobile."),
    "uscc": ("18 位，见营业执照。", "18 characters, as on the business licence."),
}


class _Refusal(Protocol):
    field: str | None

    def message(self, lang: Lang) -> str: ...


def error_text(exc: _Refusal, lang: Lang) -> str:
    """The text a page shows for a refusal: for a plain invalid value of a known field, the
    field's label ("“金额（元）”填写有误"), not its name; otherwise the error's own message."""
    label = FIELD_LABELS.get(exc.field or "") if type(exc) is InvalidInput else None
    if label is None:
        return exc.message(lang)
    hint_zh, hint_en = FIELD_HINTS.get(exc.field or "", ("", ""))
    if lang == "zh":
        return f"“{label[0]}”填写有误，请检查后重新提交。{hint_zh}"
    return f"Please check {label[1]}: the value is not valid. {hint_en}".rstrip()


STRINGS.update(ACCOUNT_STRINGS)  # sign-in and account security (web/account_strings.py)


def translate(lang: Lang, key: str, **params: object) -> str:
    zh, en = STRINGS.get(key, (key, key))
    text = zh if lang == "zh" else en
    return text.format(**params) if params else text
