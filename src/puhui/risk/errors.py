"""Errors of the risk domain: stable codes, HTTP statuses, messages in zh-CN and English."""

from __future__ import annotations

from puhui.core.errors import Conflict, DomainError, NotFound


class AlertNotFound(NotFound):
    code = "risk_alert_not_found"
    message_zh = "未找到该预警。"
    message_en = "Alert not found."


class ActionNotFound(NotFound):
    code = "risk_action_not_found"
    message_zh = "未找到该处置措施。"
    message_en = "Risk action not found."


class RulesNotFound(NotFound):
    code = "risk_rules_not_found"
    message_zh = "未找到该预警规则版本。"
    message_en = "Warning rules version not found."


class InvalidAlertTransition(Conflict):
    code = "invalid_alert_transition"
    message_zh = "预警当前状态为“{from_zh}”，不能变更为“{to_zh}”。"
    message_en = "An alert in status {from_status} cannot become {to_status}."


class DispositionRequired(DomainError):
    code = "disposition_required"
    status = 422
    title_zh = "须填写处置结论"
    title_en = "Disposition required"
    message_zh = "关闭预警须选择处置结论并填写说明。"
    message_en = "Resolving an alert needs a disposition and a note."


class ActionNotPending(Conflict):
    code = "risk_action_not_pending"
    message_zh = "该处置措施已处理（{status_zh}），不能再审批。"
    message_en = "This risk action was already decided ({status}); it cannot be decided again."


class SameOfficerAction(Conflict):
    code = "risk_action_same_officer"
    message_zh = "处置措施须由另一人复核（双人复核），提出人不能自己批准。"
    message_en = "A second person must approve a risk action (maker-checker), not its proposer."


class ActionNeedsLine(DomainError):
    code = "risk_action_needs_line"
    status = 422
    title_zh = "缺少授信额度"
    title_en = "Credit line required"
    message_zh = "该措施须针对企业的一笔授信额度。"
    message_en = "This action needs one of the enterprise's credit lines."


class ActionNotApplicable(Conflict):
    code = "risk_action_not_applicable"
    message_zh = "授信额度当前状态为“{status_zh}”，不适用该措施。"
    message_en = "The credit line is {status}; this action does not apply to it."


class AlreadyWatched(Conflict):
    code = "risk_already_watched"
    message_zh = "该企业已在观察名单中。"
    message_en = "The enterprise is already on the watch list."


class NotWatched(Conflict):
    code = "risk_not_watched"
    message_zh = "该企业不在观察名单中。"
    message_en = "The enterprise is not on the watch list."


class RulesInvalid(DomainError):
    code = "risk_rules_invalid"
    status = 422
    title_zh = "预警规则无效"
    title_en = "Invalid warning rules"
    message_zh = "预警规则文件无效：{why}"
    message_en = "The warning rules document is invalid: {why}"


class RulesUnchanged(Conflict):
    code = "risk_rules_unchanged"
    message_zh = "提交的预警规则与生效版本相同。"
    message_en = "The submitted warning rules equal the active version."


class RulesNotPending(Conflict):
    code = "risk_rules_not_pending"
    message_zh = "该预警规则版本不在待审批状态（{status}）。"
    message_en = "This warning rules version is not pending approval ({status})."


class RulesStale(Conflict):
    code = "risk_rules_stale"
    message_zh = "提交后生效版本已变更，请基于当前生效版本重新提交。"
    message_en = "The active version changed since submission; submit again on the active one."


class SameOfficerRules(Conflict):
    code = "risk_rules_same_officer"
    message_zh = "预警规则须由另一名风险经理审批，提交人不能自己批准。"
    message_en = "A second risk officer must approve the warning rules, not their author."
