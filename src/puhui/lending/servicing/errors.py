"""Errors of servicing: stable codes, HTTP statuses, messages in zh-CN and English."""

from __future__ import annotations

from puhui.core.errors import Conflict, NotFound


class RenewalDecisionRequired(Conflict):
    """A renewal cites no approved decision of the loan's enterprise taken recently enough."""

    code = "renewal_decision_required"
    message_zh = "无还本续贷须有本企业 {days} 天内的审批通过决定：{why_zh}"
    message_en = (
        "A renewal needs an approved decision of the same enterprise taken within {days} days: "
        "{why_en}"
    )


class ReliefRequestNotFound(NotFound):
    code = "relief_request_not_found"
    message_zh = "未找到该纾困申请。"
    message_en = "Relief request not found."


class ReliefRequestConflict(Conflict):
    """The request is not in a state that allows the step asked for."""

    code = "relief_request_conflict"
    message_zh = "该申请当前状态为“{status_zh}”，不能{action_zh}。"
    message_en = "The request is {status}; it cannot be {action_en}."


class SameOfficer(Conflict):
    """Maker-checker: the officer who proposed the decision may not confirm it."""

    code = "relief_same_officer"
    message_zh = "复核须由另一位信贷员完成（审批人与复核人不能相同）。"
    message_en = "A second officer must confirm (the maker cannot be the checker)."
