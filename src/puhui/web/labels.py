"""One vocabulary: what every code a page shows is called, in zh-CN and English.

Statuses of every kind, decision outcomes, rule stages and actions, policy diff kinds, products,
channels, five-category classes, ledger accounts and entry kinds, data sources, purposes,
industry sections (GB/T 4754), roles, timeline events. Templates call the filter
``{{ status|label('line_status') }}`` (and ``label(kind, code)`` in Python); an unknown code
comes back as itself, and `tests/unit/web/test_labels.py` fails on any member of a StrEnum the
pages show that lacks either label.

Channels are written ``manager:<user id>``, ``team:<code>`` or ``direct:<region>``;
`channel_label` turns them into words with the manager's display name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from puhui.consents.sources import SourceName
from puhui.core.i18n import Lang
from puhui.core.models import ROLE_LABELS_ZH, Role
from puhui.decisioning.features import FEATURE_BY_NAME
from puhui.ledger.chart import CHART
from puhui.parties.schemas import GBT4754_SECTIONS
from puhui.web.labels_payments import ENTRY_KINDS, PAYMENT_LABELS
from puhui.web.staff.security_labels import LABELS as SECURITY_LABELS
from puhui.web.staff.servicing_labels import LABELS as SERVICING_LABELS

Pair = tuple[str, str]

_ROLE_EN = {
    Role.ADMIN: "Administrator",
    Role.CUSTOMER_MANAGER: "Customer manager",
    Role.CREDIT_OFFICER: "Credit officer",
    Role.RISK_OFFICER: "Risk officer",
    Role.SERVICE_REP: "Service representative",
    Role.AUDITOR: "Auditor",
    Role.BORROWER: "Enterprise customer",
}

CATALOGUE: dict[str, dict[str, Pair]] = {
    "application_status": {
        "submitted": ("已提交", "Submitted"),
        "approved": ("已批准", "Approved"),
        "declined": ("已拒绝", "Declined"),
        "referred": ("人工审批中", "With a credit officer"),
        "accepted": ("已接受授信", "Offer accepted"),
        "withdrawn": ("已撤回", "Withdrawn"),
        "expired": ("已过期", "Expired"),
    },
    "decision_outcome": {
        "approve": ("批准", "Approve"),
        "decline": ("拒绝", "Decline"),
        "refer": ("转人工", "Refer"),
    },
    "decision_kind": {"automated": ("自动决策", "Automated"), "manual": ("人工审批", "Manual")},
    "review_status": {
        "open": ("待审批", "Open"),
        "awaiting_confirmation": ("待复核", "Awaiting confirmation"),
        "approved": ("已批准", "Approved"),
        "declined": ("已拒绝", "Declined"),
        "withdrawn": ("已撤回", "Withdrawn"),
    },
    "policy_status": {
        "pending_approval": ("待审批", "Pending approval"),
        "active": ("生效中", "Active"),
        "superseded": ("已被替代", "Superseded"),
        "rejected": ("已驳回", "Rejected"),
    },
    "line_status": {
        "pending_signature": ("待签约", "Awaiting signature"),
        "active": ("可用", "Active"),
        "frozen": ("已冻结", "Frozen"),
        "expired": ("已到期", "Expired"),
        "closed": ("已关闭", "Closed"),
    },
    "loan_status": {
        "active": ("还款中", "Repaying"),
        "paid_off": ("已结清", "Settled"),
        "renewed": ("已续贷", "Renewed"),
        "written_off": ("已核销", "Written off"),
        "reversed": ("已冲销（放款退回）", "Reversed (payout returned)"),
    },
    "instalment_status": {
        "scheduled": ("未到期", "Not yet due"),
        "billed": ("待还款", "Due"),
        "paid": ("已还清", "Paid"),
        "superseded": ("已调整", "Rescheduled"),
        "prepaid": ("已提前还款", "Prepaid"),
    },
    "drawdown_status": {
        "reserved": ("处理中", "Processing"),
        "completed": ("已放款", "Paid out"),
        "voided": ("已作废", "Voided"),
        "reversed": ("已冲销（放款退回）", "Reversed (payout returned)"),
    },
    "contract_status": {
        "draft": ("待签署", "Draft"),
        "sent_for_signature": ("已发送验证码", "Code sent"),
        "signed": ("已签署", "Signed"),
        "expired": ("已过期", "Expired"),
        "cancelled": ("已取消", "Cancelled"),
    },
    "consent_status": {
        "live": ("有效", "Live"),
        "expired": ("已过期", "Expired"),
        "revoked": ("已撤回", "Revoked"),
        "superseded": ("已更新", "Superseded"),
    },
    "purpose": {
        "credit_decision": ("授信审批", "Credit decision"),
        "post_loan_monitoring": ("贷后监测", "Post-loan monitoring"),
        "marketing": ("营销", "Marketing"),
        "convenience_query": (
            "便民查询（本人公积金/社保）",
            "Convenience query (own housing fund / social security)",
        ),
    },
    "loan_class": {
        "normal": ("正常", "Pass"),
        "special_mention": ("关注", "Special mention"),
        "substandard": ("次级", "Substandard"),
        "doubtful": ("可疑", "Doubtful"),
        "loss": ("损失", "Loss"),
    },
    "repayment_kind": {
        "manual": ("主动还款", "Repayment"),
        "auto_debit": ("自动扣款", "Auto-debit"),
        "prepayment": ("提前还款", "Prepayment"),
        "renewal": ("续贷付息", "Renewal interest"),
        "direct_debit": ("他行代扣", "Direct debit from another bank"),
    },
    "repayment_method": {
        "equal_instalment": ("等额本息", "Equal instalments"),
        "equal_principal": ("等额本金", "Equal principal"),
        "interest_first": ("先息后本", "Interest first"),
        "bullet": ("到期一次还本付息", "Bullet"),
    },
    "bucket": {
        "penalty": ("罚息", "Penalty interest"),
        "compound": ("复利", "Compound interest"),
        "overdue_interest": ("逾期利息", "Overdue interest"),
        "overdue_principal": ("逾期本金", "Overdue principal"),
        "current_interest": ("当期利息", "Current interest"),
        "current_principal": ("当期本金", "Current principal"),
        "fee": ("费用", "Charges"),
    },
    "entry_kind": {
        "charge": ("收费", "Charge"),
        "charge_waiver": ("收费减免", "Charge waiver"),
        "accrual": ("计息", "Interest accrual"),
        "deposit": ("入账", "Deposit"),
        "drawdown": ("放款", "Drawdown"),
        "interest_billing": ("利息结息", "Interest billing"),
        "limit_change": ("额度调整", "Limit change"),
        "limit_increase": ("提额", "Limit increase"),
        "penalty_waiver": ("罚息减免", "Penalty waiver"),
        "renewal": ("续贷", "Renewal"),
        "status": ("状态变更", "Status change"),
        "penalty": ("罚息", "Penalty interest"),
        "non_accrual": ("转入非应计（冲回应收未收利息）", "Non-accrual: accrued interest reversed"),
        "accrual_resumed": ("恢复应计", "Accrual resumed"),
        "non_accrual_cash": ("非应计贷款收息", "Interest received on a non-accrual loan"),
        "provision": ("贷款损失准备计提", "Loan-loss provision"),
        "write_off": ("贷款核销", "Write-off"),
        "recovery": ("已核销贷款收回", "Recovery after write-off"),
    },
    # charges (lending/charges_rules.py, charges_models.py)
    "charge_trigger": {
        "drawdown": ("放款时一次性", "Once at drawdown"),
        "monthly": ("每月", "Monthly"),
        "annual": ("每年", "Annually"),
        "prepayment": ("提前还款时", "On prepayment"),
        "late_payment": ("逾期时（每期一次）", "On late payment (once per instalment)"),
    },
    "charge_basis": {
        "fixed": ("固定金额", "Fixed amount"),
        "principal": ("借款本金", "Loan principal"),
        "balance": ("剩余本金", "Outstanding principal"),
        "prepaid": ("提前归还的本金", "Principal prepaid"),
        "overdue": ("逾期未还金额", "Amount overdue"),
    },
    "charge_status": {
        "due": ("待收", "Due"),
        "paid": ("已收", "Paid"),
        "waived": ("已减免", "Waived"),
        "written_off": ("已随贷款核销", "Written off with the loan"),
    },
    "waiver_status": {
        "proposed": ("待复核", "Awaiting a second check"),
        "approved": ("已批准", "Approved"),
        "rejected": ("已驳回", "Rejected"),
    },
    "restructuring_status": {
        "proposed": ("待复核", "Awaiting a second officer"),
        "executed": ("已执行", "Executed"),
        "rejected": ("已驳回", "Rejected"),
    },
    # collections (risk/collection_rules.py) and write-offs (lending/bad_loan_models.py)
    "collection_bucket": {
        "M1": ("M1（逾期1–30天）", "M1 (1–30 days past due)"),
        "M2": ("M2（逾期31–60天）", "M2 (31–60 days past due)"),
        "M3": ("M3（逾期61–90天）", "M3 (61–90 days past due)"),
        "M3+": ("M3+（逾期90天以上）", "M3+ (over 90 days past due)"),
    },
    "collection_case_status": {
        "open": ("催收中", "Open"),
        "promised": ("已承诺还款", "Promise to pay"),
        "escalated": ("已升级至风险经理", "Escalated to the risk officer"),
        "closed": ("已结案", "Closed"),
    },
    "promise_status": {
        "pending": ("待兑现", "Pending"),
        "kept": ("已兑现", "Kept"),
        "broken": ("已违约", "Broken"),
    },
    "contact_channel": {
        "phone": ("电话", "Phone"),
        "sms": ("短信", "Text message"),
        "visit": ("上门", "Visit"),
        "letter": ("函件", "Letter"),
    },
    "contact_outcome": {
        "reached": ("已联系上", "Reached"),
        "no_answer": ("未接通", "No answer"),
        "promised": ("承诺还款", "Promised to pay"),
        "refused": ("拒绝还款", "Refused"),
        "wrong_number": ("号码错误", "Wrong number"),
    },
    "close_reason": {
        "cured": ("已还清逾期", "Cured"),
        "paid_off": ("已结清", "Paid off"),
        "written_off": ("已核销", "Written off"),
        "renewed": ("已续贷", "Renewed"),
    },
    "write_off_status": {
        "proposed": ("待复核", "Awaiting approval"),
        "approved": ("已核销", "Written off"),
        "rejected": ("已驳回", "Rejected"),
    },
    "product": {
        "weiyedai": ("微业贷", "Weiyedai working-capital line"),
        "supply_chain": ("供应链融资", "Supply-chain finance"),
    },
    "diff_kind": {
        "added": ("新增", "Added"),
        "removed": ("删除", "Removed"),
        "changed": ("修改", "Changed"),
    },
    "stage": {
        "knockouts": ("准入规则", "Knock-outs"),
        "cross_checks": ("交叉验证", "Cross-checks"),
        "anti_fraud": ("反欺诈", "Anti-fraud"),
        "grading": ("评级", "Grading"),
        "pricing": ("定价", "Pricing"),
        "limit": ("额度", "Limit"),
        "offer": ("要约", "Offer"),
    },
    "binding": {
        "by_sales": ("按销售额测算", "sales-based amount"),
        "requested": ("申请金额", "amount requested"),
        "product_cap": ("产品上限", "product cap"),
        "ceiling": ("单户上限", "per-borrower ceiling"),
        "group_cap": ("集团上限", "group cap"),
    },
    "size_class": {
        "micro": ("微型", "Micro"),
        "small": ("小型", "Small"),
        "medium": ("中型", "Medium"),
        "large": ("大型", "Large"),
    },
    "relation_kind": {
        "legal_representative": ("法定代表人", "Legal representative"),
        "shareholder": ("股东", "Shareholder"),
        "actual_controller": ("实际控制人", "Actual controller"),
        "guarantor": ("担保人", "Guarantor"),
        "upstream": ("上游供应商", "Upstream supplier"),
        "downstream": ("下游客户", "Downstream customer"),
    },
    "certificate_status": {
        "pending": ("待确认", "Pending"),
        "active": ("有效", "Active"),
        "overdue": ("逾期", "Overdue"),
        "paid": ("已兑付", "Paid"),
        "cleared": ("已结清", "Cleared"),
        "void": ("已作废", "Void"),
    },
    "part_status": {
        "pending_accept": ("待签收", "Awaiting acceptance"),
        "held": ("持有中", "Held"),
        "pending_transfer": ("转让中", "Transfer pending"),
        "financed": ("已融资", "Financed"),
        "cleared": ("已结清", "Cleared"),
        "closed": ("已关闭", "Closed"),
    },
    "event": {
        "submitted": ("提交申请", "Application submitted"),
        "approved": ("审批通过", "Approved"),
        "declined": ("未通过审批", "Declined"),
        "referred": ("转人工审核", "Referred to a credit officer"),
        "accepted": ("已签约，额度生效", "Contract signed, the line is active"),
        "withdrawn": ("申请已撤回", "Application withdrawn"),
        "expired": ("要约已过期", "The offer lapsed"),
    },
    "role": {r.value: (ROLE_LABELS_ZH[r], _ROLE_EN[r]) for r in Role},
    "source": {},
    "account": {code: (a.name_zh, a.name_en) for code, a in CHART.items()},
    "industry": dict(GBT4754_SECTIONS),
    "feature": {n: (d.label_zh, d.label_en) for n, d in FEATURE_BY_NAME.items()},
}

CATALOGUE["source"] = {
    SourceName.TAX: ("税务", "Tax"),
    SourceName.SOCIAL_SECURITY: ("社保", "Social security"),
    SourceName.HOUSING_FUND: ("公积金", "Housing fund"),
    SourceName.UTILITIES: ("水电", "Utilities"),
    SourceName.REGISTRY: ("工商登记", "Business registry"),
    SourceName.JUDICIAL: ("司法", "Judicial records"),
    SourceName.CREDIT_BUREAU: ("征信", "Credit bureau"),
}
CATALOGUE.update(SERVICING_LABELS)  # relief requests' kinds and statuses (issue 17)

# post-loan risk (issue 14): levels, alerts, dispositions, actions, monitoring, rules versions
CATALOGUE.update(
    {
        "risk_level": {
            "red": ("红色预警", "Red"),
            "orange": ("橙色预警", "Orange"),
            "yellow": ("黄色预警", "Yellow"),
        },
        "alert_status": {
            "open": ("待分派", "Open"),
            "assigned": ("已分派", "Assigned"),
            "investigating": ("核查中", "Investigating"),
            "escalated": ("已升级", "Escalated"),
            "resolved": ("已关闭", "Resolved"),
        },
        "disposition": {
            "false_positive": ("误报（数据已解释）", "False positive (explained)"),
            "risk_accepted": ("风险可控，继续观察", "Risk accepted, keep watching"),
            "action_taken": ("已采取处置措施", "Action taken"),
            "repaid": ("已还款结清", "Repaid"),
        },
        "action_kind": {
            "watch": ("列入观察名单", "Put on the watch list"),
            "unwatch": ("移出观察名单", "Remove from the watch list"),
            "freeze": ("冻结额度", "Freeze the line"),
            "unfreeze": ("解冻额度", "Unfreeze the line"),
            "limit_cut": ("压降额度", "Reduce the limit"),
            "early_repayment": ("提前收回", "Demand early repayment"),
            "margin_call": ("追加保证金", "Margin call"),
        },
        "action_status": {
            "proposed": ("待复核", "Awaiting approval"),
            "executed": ("已执行", "Executed"),
            "rejected": ("已驳回", "Rejected"),
        },
        "monitor_status": {
            "monitored": ("监测中", "Monitored"),
            "unmonitored": ("未监测（无贷后授权）", "Unmonitored (no post-loan consent)"),
            "ended": ("已结束", "Ended"),
        },
        "line_event_kind": {
            "status": ("状态变更", "Status change"),
            "limit_change": ("额度调整", "Limit change"),
            "limit_increase": ("自动提额", "Automatic limit increase"),
            "repayment_demand": ("提前收回通知", "Early repayment demanded"),
        },
        "rules_status": {
            "pending_approval": ("待审批", "Pending approval"),
            "active": ("生效", "Active"),
            "superseded": ("已替代", "Superseded"),
            "rejected": ("已驳回", "Rejected"),
        },
    }
)
# the service assistant and the service desk (puhui.assistant)
CATALOGUE["conversation_status"] = {
    "bot": ("智能客服", "With the assistant"),
    "waiting": ("排队待接入", "Waiting for a rep"),
    "with_agent": ("人工服务中", "With a rep"),
    "closed": ("已结束", "Closed"),
}
CATALOGUE["kb_status"] = {
    "pending": ("待复核", "Waiting for approval"),
    "live": ("已生效", "Live"),
    "retired": ("已被替换", "Replaced"),
    "rejected": ("已退回", "Rejected"),
}
CATALOGUE["callback_status"] = {"open": ("待回访", "To call back"), "done": ("已回访", "Done")}
CATALOGUE["hand_off_reason"] = {
    "asked": ("客户要求人工", "Customer asked for a person"),
    "complaint": ("投诉", "Complaint"),
    "unclear": ("两次未能理解", "Not understood twice"),
}

# engagement (issue 18): segments, pre-screening lists, offers, batch engines
CATALOGUE["segment"] = {
    "new_account": ("新开户", "New account"),
    "near_upgrade": ("临界提级", "Close to the next tier"),
    "grow_quality": ("重点提质", "High value, room to grow"),
    "dormant": ("不动户", "Dormant"),
    "renewal_due": ("到期续贷", "Renewal due"),
    "overdue_watch": ("逾期关注", "Overdue watch"),
}
CATALOGUE["list_kind"] = {
    "own_customers": ("本行客户", "Own customers"),
    "registry_region": ("区域工商名录", "Registry region"),
    "dealer_list": ("核心企业经销商名单", "Core enterprise's dealer list"),
}
CATALOGUE["offer_outcome"] = {
    "offer": ("预授信", "Pre-approved"),
    "knocked_out": ("触发拒绝规则", "Knock-out rule hit"),
    "declined_grade": ("评级不足", "Grade too low"),
    "no_basis": ("缺少额度依据", "No limit basis"),
    "below_minimum": ("额度低于起点", "Below the minimum limit"),
}
CATALOGUE["offer_state"] = {
    "open": ("邀请中", "Open"),
    "applied": ("已申请", "Applied"),
    "lapsed": ("已失效", "Lapsed"),
}
CATALOGUE["batch_engine"] = {
    "embedded": ("内嵌列式引擎", "Embedded columnar engine"),
    "spark": ("Spark 集群", "Apache Spark"),
}
# campaigns, notices and the workbench (issue 18 items 3, 4)
CATALOGUE["campaign_status"] = {
    "draft": ("草稿", "Draft"),
    "approved": ("已审批", "Approved"),
    "sent": ("已发送", "Sent"),
    "cancelled": ("已取消", "Cancelled"),
}
CATALOGUE["campaign_channel"] = {
    "sms": ("短信", "SMS"),
    "in_app": ("站内消息", "In-app message"),
    "call": ("外呼任务", "Call task"),
}
CATALOGUE["audience_kind"] = {
    "segment": ("客群", "Segment"),
    "prescreen": ("预授信名单", "Pre-approved list"),
    "filter": ("自定义条件", "Custom filter"),
}
CATALOGUE["call_team"] = {"manager": ("客户经理", "Customer manager"),
                          "remote": ("远程客服团队", "Remote service team")}  # fmt: skip
CATALOGUE["touch_status"] = {
    "sent": ("已触达", "Sent"),
    "deferred": ("静默时段顺延", "Deferred (quiet hours)"),
    "opted_out": ("已拒收营销", "Opted out"),
    "capped": ("超过频次上限", "Frequency cap reached"),
    "no_contact": ("无联系方式", "No contact"),
}
CATALOGUE["call_outcome"] = {
    "interested": ("有意向", "Interested"),
    "not_interested": ("无意向", "Not interested"),
    "no_answer": ("未接通", "No answer"),
    "call_back": ("约定回电", "Call back"),
    "wrong_number": ("号码错误", "Wrong number"),
    "guided": ("已指导完成", "Guided to finish"),
    "opt_out": ("拒绝营销", "Opted out of marketing"),
    "resolved": ("客户已自行完成", "Finished by the customer"),
}
CATALOGUE["task_source"] = {
    "campaign": ("营销活动", "Campaign"),
    "renewal": ("到期续贷", "Renewal"),
    "lead": ("预授信线索", "Pre-approved lead"),
    "dormant": ("不动户唤醒", "Dormant customer"),
    "unfinished_application": ("申请未完成", "Unfinished application"),
    "unfinished_drawdown": ("指导完成线上提款", "Guide to draw online"),
}
CATALOGUE["funnel_stage"] = {
    "message": ("触达", "Reached"),
    "visit": ("访问", "Visited"),
    "application": ("申请", "Applied"),
    "drawdown": ("提款", "Drew down"),
}
CATALOGUE["customer_notice_kind"] = {
    "repayment_due": ("还款提醒", "Repayment due"),
    "overdue": ("逾期提醒", "Overdue"),
    "limit_expiry": ("额度到期", "Limit expiry"),
    "renewal_offer": ("续贷邀请", "Renewal offer"),
    "rate_change": ("利率调整", "Rate change"),
    "contract_to_sign": ("待签合同", "Contract to sign"),
    "limit_increase": ("额度提升", "Limit increase"),
    "engagement.campaign": ("营销活动", "Campaign"),
}

# the IoT collateral watch (issue 20): signals, lot statuses, sensor kinds, units, history
CATALOGUE["iot_signal"] = {
    "iot_weight_drop": ("押品重量下降且无解押", "Weight drop without a release"),
    "iot_geofence_exit": ("押品离开电子围栏", "Geofence exit"),
    "iot_condition": ("温湿度超出范围", "Condition out of range"),
    "iot_cover_short": ("价值低于要求覆盖", "Value below the required cover"),
    "iot_stale_sensor": ("传感器离线超时", "Sensor silent"),
}
CATALOGUE["iot_lot_status"] = {
    "watching": ("监管中", "Watched"),
    "stopped": ("已停止监管", "Stopped"),
}
CATALOGUE["iot_sensor_kind"] = {
    "weight": ("称重", "Weight"),
    "count": ("计数", "Count"),
    "location": ("定位", "Position"),
    "temperature": ("温度", "Temperature"),
    "humidity": ("湿度", "Humidity"),
    "door": ("门磁", "Door"),
    "camera": ("摄像头心跳", "Camera heartbeat"),
}
CATALOGUE["iot_unit"] = {"kg": ("千克", "kg"), "pcs": ("件", "pcs")}
CATALOGUE["iot_lot_event"] = {
    "watch": ("开始监管", "Watch started"),
    "release": ("解押", "Released"),
    "reprice": ("价格更新", "Repriced"),
    "pledge": ("质押生效", "Pledged"),
    "signal": ("触发信号", "Signal"),
    "stop": ("停止监管", "Watch stopped"),
}

CATALOGUE.update(PAYMENT_LABELS)
CATALOGUE.update(SECURITY_LABELS)
CATALOGUE["entry_kind"].update(ENTRY_KINDS)


def label(kind: str, code: object, lang: Lang = "zh") -> str:
    """The word for `code` of `kind` in `lang`; the code itself when none is known."""
    if code is None:
        return ""
    text = str(getattr(code, "value", code))
    if kind == "entry_kind":
        return entry_kind_label(text, lang)
    pair = CATALOGUE.get(kind, {}).get(text)
    if pair is None:
        return text
    return pair[0] if lang == "zh" else pair[1]


def entry_kind_label(code: str, lang: Lang) -> str:
    """A ledger entry's kind: `repayment:prepayment`, `reversal:drawdown`, or a plain kind."""
    head, _, tail = code.partition(":")
    if head == "repayment" and tail:
        return label("repayment_kind", tail, lang)
    if head == "reversal" and tail:
        inner = entry_kind_label(tail, lang)
        return f"冲正：{inner}" if lang == "zh" else f"Reversal: {inner}"
    pair = CATALOGUE["entry_kind"].get(code)
    return code if pair is None else pair[0] if lang == "zh" else pair[1]


def channel_label(key: str | None, names: Mapping[str, str], lang: Lang) -> str:
    """`manager:<id>` → 客户经理 张经理; `team:<code>` → 团队 <code>; `direct:<region>` → 自助申请.
    `names` maps user ids (as text) to display names."""
    if not key:
        return ""
    head, _, tail = key.partition(":")
    zh = lang == "zh"
    if head == "manager":
        name = names.get(tail) or names.get(tail.replace("-", ""))
        who = name or ("客户经理" if zh else "a customer manager")
        return f"客户经理推荐 · {who}" if zh else f"Referred by {who}"
    if head == "team":
        return f"团队推荐 · {tail}" if zh else f"Team referral · {tail}"
    if head == "direct":
        return "自助申请" if zh else "Self-service"
    return key


def filter_for(lang: Lang) -> Callable[[object, str], str]:
    """The Jinja filter: ``{{ code|label('line_status') }}``."""

    def _filter(code: object, kind: str) -> str:
        return label(kind, code, lang)

    return _filter
