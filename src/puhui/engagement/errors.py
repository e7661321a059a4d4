"""Errors of the engagement domain: stable codes, HTTP statuses, messages in zh-CN and English."""

from __future__ import annotations

from puhui.core.errors import Conflict, DomainError, NotFound


class FeatureNotPermitted(DomainError):
    code = "prescreen_feature_not_permitted"
    status = 403
    title_zh = "预授信不得使用该数据"
    title_en = "Data not usable for pre-screening"
    message_zh = "名单含有未经授权不得用于预授信的数据列：{features}。"
    message_en = (
        "The list carries columns that may not be used for pre-screening without a consent "
        "({kind}): {features}."
    )


class PrescreenListInvalid(DomainError):
    code = "prescreen_list_invalid"
    status = 422
    title_zh = "名单格式不正确"
    title_en = "Invalid list"
    message_zh = "名单缺少必需的列或内容不正确：{reason}。"
    message_en = "The list lacks a required column or has an invalid value: {reason}."


class FeedAgreementMissing(DomainError):
    code = "feed_agreement_missing"
    status = 403
    title_zh = "缺少核心企业数据协议"
    title_en = "No data agreement with the core enterprise"
    message_zh = "核心企业 {name} 没有有效的经销商数据协议，不能使用其名单预授信。"
    message_en = (
        "Core enterprise {name} has no live dealer-data agreement; its list cannot be used."
    )


class OfferNotFound(NotFound):
    code = "offer_not_found"
    message_zh = "未找到该预授信邀请。"
    message_en = "Pre-approved offer not found."


class OfferNotOpen(Conflict):
    code = "offer_not_open"
    message_zh = "该预授信邀请已失效或已使用。"
    message_en = "The pre-approved offer has lapsed or was already used."


class CampaignNotFound(NotFound):
    code = "campaign_not_found"
    message_zh = "未找到该营销活动。"
    message_en = "Campaign not found."


class CampaignStateInvalid(Conflict):
    code = "campaign_state_invalid"
    message_zh = "营销活动当前状态（{status}）不允许此操作。"
    message_en = "The campaign's current state ({status_en}) does not allow this."


class CampaignSelfApproval(DomainError):
    code = "campaign_self_approval"
    status = 403
    title_zh = "不能审批自己的活动"
    title_en = "Maker-checker"
    message_zh = "营销活动须由起草人以外的另一位人员（营销合规）审批。"
    message_en = "A campaign must be approved by someone other than its author (compliance)."


class CampaignInvalid(DomainError):
    code = "campaign_invalid"
    status = 422
    title_zh = "营销活动内容有误"
    title_en = "Invalid campaign"
    message_zh = "字段 {field} 的值无效：{reason}。"
    message_en = "The value of field {field} is invalid: {reason}."


class CampaignNotDue(Conflict):
    code = "campaign_not_due"
    message_zh = "营销活动计划于 {at} 发送，尚未到时间。"
    message_en = "The campaign is scheduled for {at}; it is not due yet."


class CallTaskNotFound(NotFound):
    code = "call_task_not_found"
    message_zh = "未找到该外呼任务。"
    message_en = "Call task not found."
