"""Errors of model operations (monitoring, retraining), each with a stable code and zh/en text."""

from __future__ import annotations

from puhui.core.errors import Conflict, DomainError, Forbidden, NotFound


class ModelAlertNotFound(NotFound):
    code = "model_alert_not_found"
    message_zh = "未找到该模型预警。"
    message_en = "Model alert not found."


class ModelCandidateNotFound(NotFound):
    code = "model_candidate_not_found"
    message_zh = "未找到该待审模型。"
    message_en = "Model candidate not found."


class InvalidCandidateTransition(Conflict):
    code = "model_candidate_transition"
    message_zh = "该模型当前状态不允许此操作。"
    message_en = "The model candidate's status does not allow this."


class ShadowPeriodNotOver(Conflict):
    code = "model_shadow_period_not_over"
    message_zh = "影子运行期尚未结束，模型不能投产决策。"
    message_en = "The shadow period is not over; the model cannot decide yet."


class MakerCannotCheck(Forbidden):
    code = "model_maker_cannot_check"
    message_zh = "提交模型的人员不能审批同一模型（双人复核）。"
    message_en = "The officer who submitted a model cannot approve it (maker-checker)."


class NotEnoughOutcomes(DomainError):
    code = "model_not_enough_outcomes"
    status = 409
    title_zh = "表现数据不足"
    title_en = "Not enough outcomes"
    message_zh = (
        "表现期已满的样本不足：{rows} 笔，其中坏样本 {bads} 笔"
        "（至少需要 {min_rows} 笔和 {min_bads} 笔）。"
    )
    message_en = (
        "Too few decisions with a complete performance window: {rows}, {bads} of them bad "
        "(needs {min_rows} and {min_bads})."
    )


class SandboxOutcomesRefused(Forbidden):
    code = "model_sandbox_outcomes_refused"
    message_zh = "沙箱表现数据仅用于开发、演示和测试环境。"
    message_en = "Sandbox outcomes are for development, demo and test environments only."
