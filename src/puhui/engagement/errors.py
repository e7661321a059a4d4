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
