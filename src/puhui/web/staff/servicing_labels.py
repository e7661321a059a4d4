"""zh-CN and English labels of servicing's codes (merged into `web.labels.CATALOGUE`)."""

from __future__ import annotations

LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "relief_kind": {
        "deferral": ("延期还本付息", "Deferral"),
        "renewal": ("无还本续贷", "Renewal without principal repayment"),
    },
    "relief_status": {
        "submitted": ("已提交，待审批", "Submitted, awaiting a decision"),
        "awaiting_check": ("待复核", "Awaiting a second check"),
        "approved": ("已批准", "Approved"),
        "declined": ("未获批准", "Declined"),
        "withdrawn": ("已撤回", "Withdrawn"),
    },
    "notice_kind": {
        "loan_maturity": ("借款到期提醒", "Loan maturing"),
        "line_maturity": ("额度到期提醒", "Line expiring"),
        "limit_increase": ("自动提额", "Limit increased"),
        "repricing": ("LPR 重定价", "LPR repricing"),
    },
    "limit_rules_status": {
        "pending": ("待审批", "Pending approval"),
        "active": ("生效中", "Active"),
        "superseded": ("已被替代", "Superseded"),
        "rejected": ("已驳回", "Rejected"),
    },
    "lpr_tenor": {"1y": ("1 年期", "1 year"), "5y": ("5 年期以上", "5 years and above")},
    "lpr_status": {
        "pending": ("待复核", "Awaiting a check"),
        "active": ("生效", "Effective"),
        "superseded": ("已更正", "Corrected"),
        "rejected": ("已驳回", "Rejected"),
    },
}
