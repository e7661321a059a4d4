"""Errors of guarantees and collateral: stable codes, HTTP statuses, zh-CN and English."""

from __future__ import annotations

from puhui.core.errors import Conflict, DomainError, NotFound


class GuaranteeNotFound(NotFound):
    code = "guarantee_not_found"
    message_zh = "未找到该担保。"
    message_en = "Guarantee not found."


class GuaranteeWrongStatus(Conflict):
    code = "guarantee_wrong_status"
    message_zh = "担保当前状态为“{status_zh}”，不能{action_zh}。"
    message_en = "A guarantee in status {status} cannot be {action_en}."


class GuarantorInvalid(DomainError):
    code = "guarantor_invalid"
    status = 422
    title_zh = "保证人不符合要求"
    title_en = "Guarantor not acceptable"
    message_zh = "{why_zh}"
    message_en = "{why_en}"


class GuaranteeNotChecked(Conflict):
    code = "guarantee_not_checked"
    message_zh = "请先取得保证人的授权并完成其征信、工商查询，再发送签署验证码。"
    message_en = (
        "Record the guarantor's consent and pull its credit report and registry first, "
        "then send the signing code."
    )


class GuaranteeRequired(Conflict):
    code = "guarantee_required"
    message_zh = (
        "该授信须由保证人提供担保：已签署担保金额 {signed} 尚未达到要求的 {required}，"
        "担保合同签署后方可生效。"
    )
    message_en = (
        "This credit line needs a guarantee: signed guarantees of {signed} do not yet cover "
        "the {required} required; the line is activated once the guarantee is signed."
    )


class CollateralNotFound(NotFound):
    code = "collateral_not_found"
    message_zh = "未找到该押品。"
    message_en = "Collateral not found."


class CollateralInvalid(DomainError):
    code = "collateral_invalid"
    status = 422
    title_zh = "押品信息有误"
    title_en = "Collateral details not valid"
    message_zh = "{why_zh}"
    message_en = "{why_en}"


class LoanToValueExceeded(Conflict):
    code = "loan_to_value_exceeded"
    message_zh = (
        "本产品为抵质押贷款：用款后敞口 {exposure} 将超过押品价值（扣除折扣后 {cover}）的 "
        "{max_ltv}%（最高抵质押率），请减少用款金额或追加押品。"
    )
    message_en = (
        "This is a secured product: after this drawdown the exposure of {exposure} would exceed "
        "{max_ltv}% (the maximum loan-to-value) of the collateral's cover of {cover}; draw less "
        "or add collateral."
    )
