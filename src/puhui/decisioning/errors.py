"""Errors of the decisioning domain, each with a stable code, an HTTP status and zh/en text."""

from __future__ import annotations

from typing import Any

from puhui.core.errors import Conflict, DomainError, Forbidden, NotFound


class ApplicationNotFound(NotFound):
    code = "application_not_found"
    message_zh = "未找到该申请。"
    message_en = "Application not found."


class DecisionNotFound(NotFound):
    code = "decision_not_found"
    message_zh = "未找到该审批决定。"
    message_en = "Decision not found."


class ReviewNotFound(NotFound):
    code = "review_not_found"
    message_zh = "未找到该人工审批任务。"
    message_en = "Review not found."


class PolicyNotFound(NotFound):
    code = "policy_not_found"
    message_zh = "未找到该授信政策版本。"
    message_en = "Policy version not found."


class NoActivePolicy(DomainError):
    code = "policy_none_active"
    status = 503
    title_zh = "无生效的授信政策"
    title_en = "No active credit policy"
    message_zh = "当前没有生效的授信政策，无法审批。"
    message_en = "There is no active credit policy; no decision can be made."


class UnknownProduct(DomainError):
    code = "product_unknown"
    status = 422
    title_zh = "产品不存在"
    title_en = "Unknown product"
    message_zh = "产品 {product_code} 不存在。"
    message_en = "There is no product {product_code}."


class ProductNotOffered(DomainError):
    code = "product_not_offered"
    status = 422
    title_zh = "产品暂不受理"
    title_en = "Product not offered"
    message_zh = "当前授信政策不受理产品 {product_code} 的申请。"
    message_en = "The current credit policy does not take applications for {product_code}."


class EnterpriseNotInRegistry(DomainError):
    code = "enterprise_not_in_registry"
    status = 422
    title_zh = "工商登记无此企业"
    title_en = "Enterprise not registered"
    message_zh = "工商登记信息中查不到统一社会信用代码为 {uscc} 的企业。"
    message_en = "No enterprise with unified social credit code {uscc} is registered."


class LegalRepMismatch(DomainError):
    code = "legal_rep_mismatch"
    status = 422
    title_zh = "法定代表人不符"
    title_en = "Legal representative mismatch"
    message_zh = "填写的法定代表人与工商登记不一致。"
    message_en = "The legal representative given differs from the registered one."


class InvalidApplicationTransition(Conflict):
    code = "application_invalid_transition"
    message_zh = "申请状态为“{from_zh}”，不能变为“{to_zh}”。"
    message_en = "An application in status {from_status} cannot become {to_status}."


class PolicyInvalid(DomainError):
    code = "policy_invalid"
    status = 422
    title_zh = "授信政策校验未通过"
    title_en = "Credit policy invalid"
    message_zh = "授信政策未通过校验：{summary_zh}"
    message_en = "The credit policy failed validation: {summary_en}"

    def __init__(self, validation: dict[str, Any], **params: Any) -> None:
        self.validation = validation
        super().__init__(field="document", **params)

    def problem(self, lang: Any, instance: str | None = None) -> dict[str, Any]:
        body = super().problem(lang, instance)
        body["validation"] = self.validation
        return body


class PolicyUnchanged(Conflict):
    code = "policy_unchanged"
    message_zh = "提交的授信政策与当前生效版本完全相同。"
    message_en = "The submitted policy is identical to the active version."


class PolicyNotPending(Conflict):
    code = "policy_not_pending"
    message_zh = "该政策版本状态为 {status}，不能再审批。"
    message_en = "This policy version is {status}; it cannot be approved or rejected."


class PolicyStale(Conflict):
    code = "policy_stale"
    message_zh = "提交后已有其他版本生效，请基于当前生效版本重新提交。"
    message_en = (
        "Another version became active after this one was submitted; resubmit on top of it."
    )


class SameOfficer(Forbidden):
    code = "maker_checker_same_person"
    title_zh = "须由另一人复核"
    title_en = "A second person must check"
    message_zh = "提交人（经办）不能复核自己的操作，须由另一名人员确认。"
    message_en = "The maker cannot check their own work; another person must confirm."


class ReviewClosed(Conflict):
    code = "review_closed"
    message_zh = "该人工审批任务已结束（{status}）。"
    message_en = "This review is already closed ({status})."


class ReviewNotAwaitingConfirmation(Conflict):
    code = "review_not_awaiting_confirmation"
    message_zh = "该任务无需复核。"
    message_en = "This review is not waiting for a confirmation."


class ReviewAwaitingConfirmation(Conflict):
    code = "review_awaiting_confirmation"
    message_zh = "该任务已由 {maker} 审批，等待复核。"
    message_en = "This review was decided by {maker} and waits for a confirmation."


class ApprovalNotUsable(DomainError):
    """An application's approval cannot back a supply-chain limit (see
    `decisioning.service.take_approval_for_supply_chain`)."""

    code = "approval_not_usable"
    status = 422
    title_zh = "审批结果不可用"
    title_en = "Approval not usable"
    message_zh = "申请 {reference} 不能用于核定供应链额度：{why_zh}"
    message_en = "Application {reference} cannot back a supply-chain limit: {why_en}"


class OfferAboveCaps(DomainError):
    code = "offer_above_caps"
    status = 422
    title_zh = "额度超过上限"
    title_en = "Limit above the caps"
    message_zh = "核定额度 {limit} 超过可批上限 {cap}（{what}）。"
    message_en = "The limit {limit} exceeds the allowed cap {cap} ({what_en})."


class ModelUnavailable(DomainError):
    code = "model_unavailable"
    status = 503
    title_zh = "评分模型不可用"
    title_en = "Scoring model unavailable"
    message_zh = "评分模型 {model_id} 无法加载。"
    message_en = "The scoring model {model_id} cannot be loaded."
