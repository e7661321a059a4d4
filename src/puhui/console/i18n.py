"""Console strings in zh-CN (default) and English. Templates call t('key')."""

from __future__ import annotations

from puhui.core.i18n import Lang

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
}


def translate(lang: Lang, key: str, **params: object) -> str:
    zh, en = STRINGS.get(key, (key, key))
    text = zh if lang == "zh" else en
    return text.format(**params) if params else text
