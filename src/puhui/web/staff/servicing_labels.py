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
}
